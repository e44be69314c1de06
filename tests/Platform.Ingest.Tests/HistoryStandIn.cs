using System.Collections.Concurrent;
using MassTransit;
using Platform.Contracts.Ingest;

namespace Platform.Ingest.Tests;

/// <summary>Plays history's part on its queue: takes each message at once, or holds them while paused.</summary>
public sealed class HistoryStandIn
{
    private readonly ConcurrentQueue<RecordEcsEvents> received = new();
    private TaskCompletionSource running = Gate();

    public HistoryStandIn() => running.SetResult();

    public void Pause() => running = Gate();

    public void Resume() => running.TrySetResult();

    /// <summary>Every message taken from the queue so far, held ones included.</summary>
    public IReadOnlyList<RecordEcsEvents> Received => [.. received];

    /// <summary>Messages with events of this task family fail, every time (they end in the error queue).</summary>
    public string? FailingFamily { get; set; }

    internal Task Take(RecordEcsEvents message)
    {
        received.Enqueue(message);
        if (message.TaskStateChanges.Any(c => c.Family == FailingFamily))
            throw new InvalidOperationException($"history stand-in: {FailingFamily} fails");
        return running.Task;
    }

    private static TaskCompletionSource Gate() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

public sealed class HistoryStandInConsumer(HistoryStandIn standIn) : IConsumer<RecordEcsEvents>
{
    public Task Consume(ConsumeContext<RecordEcsEvents> context) => standIn.Take(context.Message);
}
