using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Platform.ServiceDefaults;

/// <summary>
/// Back-pressure and durability for the in-memory bus. RabbitMQ keeps a queue's backlog on disk and slows a publisher
/// that outruns the consumers; the in-memory bus would keep it in the process's memory, without bound, and lose all of
/// it in a crash. This counts the messages sent to a bounded queue that have not been received to the end (handled,
/// or moved to the error queue), so that a sender can wait while <see cref="BusOptions.InMemoryQueueLimit"/> of them
/// are pending; and it tells a sender when its own messages were handled (<see cref="WhenHandled"/>), so that
/// "accepted" can mean "stored" in one process too. Over RabbitMQ nothing is counted and nobody waits.
/// </summary>
public sealed class InMemoryBacklog : ISendObserver, IReceiveObserver
{
    private readonly Dictionary<string, Depth> queues;
    private readonly ConcurrentDictionary<Guid, Handling> handling = new();
    private readonly int limit;

    public InMemoryBacklog(IOptions<BusOptions> options)
    {
        limit = options.Value.InMemoryQueueLimit;
        queues = options.Value.Transport == BusTransport.InMemory
            ? PlatformTopology.BoundedInMemoryQueues.ToDictionary(q => q, _ => new Depth())
            : [];
    }

    /// <summary>Waits until <paramref name="queue"/> has room; false if it had none for <paramref name="maxWait"/>.</summary>
    public async Task<bool> WaitForRoomAsync(string queue, TimeSpan maxWait, CancellationToken ct)
    {
        if (!queues.TryGetValue(queue, out var depth) || depth.Count < limit)
            return true;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(maxWait);
        try
        {
            while (depth.Count >= limit)
                await depth.NextReceiveAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Completes with true once every message of <paramref name="messageIds"/> was consumed, or false once any ended
    /// otherwise (moved to the error queue); null over RabbitMQ, whose confirms already mean durable. Call it before
    /// sending them.
    /// </summary>
    public Task<bool>? WhenHandled(IReadOnlyCollection<Guid> messageIds)
    {
        if (queues.Count == 0)
            return null;
        var each = messageIds.Select(id => handling.GetOrAdd(id, _ => new Handling()).Done.Task).ToList();
        return Task.WhenAll(each).ContinueWith(t => t.Result.All(ok => ok), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    public Task PostSend<T>(SendContext<T> context) where T : class
    {
        Find(context.DestinationAddress)?.Sent();
        return Task.CompletedTask;
    }

    public Task PostReceive(ReceiveContext context)
    {
        Find(context.InputAddress)?.Received();
        Finish(context);
        return Task.CompletedTask;
    }

    public Task ReceiveFault(ReceiveContext context, Exception exception)
    {
        Find(context.InputAddress)?.Received();
        Finish(context);
        return Task.CompletedTask;
    }

    /// <summary>The end of a message's receive: handled if a consumer completed it, else not (it went to the error queue).</summary>
    private void Finish(ReceiveContext context)
    {
        if (context.GetMessageId() is { } id && handling.TryRemove(id, out var waiter))
            waiter.Done.TrySetResult(waiter.Consumed);
    }

    public Task PreSend<T>(SendContext<T> context) where T : class => Task.CompletedTask;

    public Task SendFault<T>(SendContext<T> context, Exception exception) where T : class => Task.CompletedTask;

    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class
    {
        if (context.MessageId is { } id && handling.TryGetValue(id, out var waiter))
            waiter.Consumed = true;
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class =>
        Task.CompletedTask;

    private Depth? Find(Uri? address) =>
        address is not null && queues.TryGetValue(address.AbsolutePath.TrimEnd('/').Split('/')[^1], out var depth) ? depth : null;

    private sealed class Handling
    {
        public volatile bool Consumed;
        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Depth
    {
        private int count;
        private TaskCompletionSource received = NewSignal();

        public int Count => Volatile.Read(ref count);

        public void Sent() => Interlocked.Increment(ref count);

        public void Received()
        {
            Interlocked.Decrement(ref count);
            Interlocked.Exchange(ref received, NewSignal()).TrySetResult();
        }

        public Task NextReceiveAsync(CancellationToken ct) => Volatile.Read(ref received).Task.WaitAsync(ct);

        private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
