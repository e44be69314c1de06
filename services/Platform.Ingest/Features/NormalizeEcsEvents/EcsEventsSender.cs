using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts.Ingest;
using Platform.ServiceDefaults;

namespace Platform.Ingest.Features.NormalizeEcsEvents;

/// <summary>Sends normalized events to history as few messages, all in flight at once, and returns when the broker confirmed them.</summary>
public sealed class EcsEventsSender(IBus bus, InMemoryBacklog backlog, IOptions<IngestOptions> options)
{
    /// <summary>Sends once history's queue has room, however long that takes (SQS and imports wait; their source keeps the rest).</summary>
    public Task SendAsync(EcsEventBatch batch, CancellationToken ct) => TrySendAsync(batch, Timeout.InfiniteTimeSpan, ct);

    /// <summary>Sends, or sends nothing and returns false when history's in-memory queue had no room for <paramref name="maxWait"/>.</summary>
    public async Task<bool> TrySendAsync(EcsEventBatch batch, TimeSpan maxWait, CancellationToken ct)
    {
        if (!await backlog.WaitForRoomAsync(PlatformTopology.HistoryEcsEvents, maxWait, ct))
            return false;
        var size = options.Value.MaxEventsPerMessage;
        var replayed = batch.Replayed;
        var messages = batch.TaskStateChanges.Chunk(size).Select(c => new RecordEcsEvents(c, [], [], replayed))
            .Concat(batch.LaunchFailures.Chunk(size).Select(f => new RecordEcsEvents([], f, [], replayed)))
            .Concat(batch.LaunchRequests.Chunk(size).Select(r => new RecordEcsEvents([], [], r, replayed)));
        var history = await bus.GetSendEndpoint(PlatformTopology.HistoryEcsEventsAddress);
        await Task.WhenAll(messages.Select(m => history.Send(m, ct)));
        return true;
    }
}
