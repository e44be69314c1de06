using System.Collections.Concurrent;

namespace Platform.History.Features.RecordEcsEvents;

/// <summary>
/// Group commit: items wait while one write is under way, and whoever finds the writer free next writes everything
/// waiting (up to <paramref name="maxItems"/>) at once. Under load a write takes what arrived during the one before;
/// an item that arrives to an idle writer is written at once, with no timer to wait for. Each caller learns the fate
/// of its own item: a write of several that fails is tried again item by item, so one bad item fails only itself.
/// </summary>
public sealed class GroupCommit<T>(Func<IReadOnlyList<T>, CancellationToken, Task> write, int maxItems)
{
    private readonly ConcurrentQueue<Waiting> waiting = new();
    private readonly SemaphoreSlim writer = new(1, 1);

    public async Task WriteAsync(T item, CancellationToken ct)
    {
        var mine = new Waiting(item);
        waiting.Enqueue(mine);
        while (!mine.Written.Task.IsCompleted)
        {
            await writer.WaitAsync(ct);
            try
            {
                if (!mine.Written.Task.IsCompleted)
                    await WriteWaitingAsync(ct);
            }
            finally
            {
                writer.Release();
            }
        }
        await mine.Written.Task;
    }

    private async Task WriteWaitingAsync(CancellationToken ct)
    {
        var batch = new List<Waiting>(maxItems);
        while (batch.Count < maxItems && waiting.TryDequeue(out var next))
            batch.Add(next);
        try
        {
            await write(batch.ConvertAll(w => w.Item), ct);
            batch.ForEach(w => w.Written.TrySetResult());
        }
        catch (Exception) when (batch.Count > 1 && !ct.IsCancellationRequested)
        {
            foreach (var alone in batch)
            {
                try
                {
                    await write([alone.Item], ct);
                    alone.Written.TrySetResult();
                }
                catch (Exception again)
                {
                    alone.Written.TrySetException(again);
                }
            }
        }
        catch (Exception e)
        {
            batch.ForEach(w => w.Written.TrySetException(e));
        }
    }

    private sealed record Waiting(T Item)
    {
        public TaskCompletionSource Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
