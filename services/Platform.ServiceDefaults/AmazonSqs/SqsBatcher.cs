using System.Threading.Channels;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>
/// Turns concurrent single requests to one destination (sends, publishes, deletes) into batch requests of at most 10
/// entries and <see cref="SqsOutgoingMessage.MaxBytes"/> together: what is waiting when a batch goes goes with it, so
/// a lone request is not delayed and a burst costs a tenth of the requests. Each caller learns its own entry's result.
/// </summary>
public sealed class SqsBatcher<T> : IAsyncDisposable
{
    private readonly Channel<(T Item, TaskCompletionSource Done)> channel = Channel.CreateUnbounded<(T, TaskCompletionSource)>();
    private readonly Func<IReadOnlyList<T>, CancellationToken, Task<IReadOnlyList<string?>>> sendBatch;
    private readonly Func<T, int> size;
    private readonly CancellationTokenSource stopping = new();
    private readonly TimeSpan linger;
    private readonly Task[] loops;

    /// <param name="sendBatch">Sends one batch; per entry, null when it was taken, else why not.</param>
    /// <param name="size">An entry's bytes, counted against the batch's limit.</param>
    /// <param name="concurrency">How many batches may be in flight at once.</param>
    /// <param name="linger">How long a batch that is not full waits for more entries (for callers that do not wait for their result).</param>
    public SqsBatcher(Func<IReadOnlyList<T>, CancellationToken, Task<IReadOnlyList<string?>>> sendBatch, Func<T, int> size, int concurrency = 4,
        TimeSpan linger = default)
    {
        this.sendBatch = sendBatch;
        this.size = size;
        this.linger = linger;
        loops = [.. Enumerable.Range(0, concurrency).Select(_ => Task.Run(RunAsync))];
    }

    public Task EnqueueAsync(T item, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!channel.Writer.TryWrite((item, done)))
            throw new ObjectDisposedException(nameof(SqsBatcher<T>));
        return done.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<(T Item, TaskCompletionSource Done)>(10);
        while (await channel.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            var bytes = 0;
            var until = DateTime.UtcNow + linger;
            while (true)
            {
                while (batch.Count < 10 && channel.Reader.TryPeek(out var next)
                    && (batch.Count == 0 || bytes + size(next.Item) <= SqsOutgoingMessage.MaxBytes)
                    && channel.Reader.TryRead(out next))
                {
                    batch.Add(next);
                    bytes += size(next.Item);
                }
                var left = until - DateTime.UtcNow;
                if (batch.Count is 0 or 10 || left <= TimeSpan.Zero || channel.Reader.Completion.IsCompleted)
                    break;
                using var wait = new CancellationTokenSource(left);
                if (!await channel.Reader.WaitToReadAsync(wait.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default))
                    break;
            }
            if (batch.Count == 0)
                continue;
            try
            {
                var results = await sendBatch([.. batch.Select(b => b.Item)], stopping.Token);
                for (var i = 0; i < batch.Count; i++)
                {
                    if (results[i] is { } failure)
                        batch[i].Done.TrySetException(new SqsBatchEntryException(failure));
                    else
                        batch[i].Done.TrySetResult();
                }
            }
            catch (Exception e)
            {
                foreach (var (_, done) in batch)
                    done.TrySetException(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        channel.Writer.TryComplete();
        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await stopping.CancelAsync();
        stopping.Dispose();
    }
}

/// <summary>SQS or SNS took the batch but refused this entry (its code and message).</summary>
public sealed class SqsBatchEntryException(string reason) : Exception($"The entry was refused: {reason}");
