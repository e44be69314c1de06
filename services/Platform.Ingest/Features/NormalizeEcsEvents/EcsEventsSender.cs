using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts.Ingest;
using Platform.ServiceDefaults;

namespace Platform.Ingest.Features.NormalizeEcsEvents;

/// <summary>Sends normalized events to history as few messages, all in flight at once, and returns when the broker confirmed them.</summary>
public sealed class EcsEventsSender(IBus bus, IOptions<IngestOptions> options)
{
    public async Task SendAsync(EcsEventBatch batch, CancellationToken ct)
    {
        var size = options.Value.MaxEventsPerMessage;
        var messages = batch.TaskStateChanges.Chunk(size).Select(c => new RecordEcsEvents(c, [], []))
            .Concat(batch.LaunchFailures.Chunk(size).Select(f => new RecordEcsEvents([], f, [])))
            .Concat(batch.LaunchRequests.Chunk(size).Select(r => new RecordEcsEvents([], [], r)));
        var history = await bus.GetSendEndpoint(PlatformTopology.HistoryEcsEventsAddress);
        await Task.WhenAll(messages.Select(m => history.Send(m, ct)));
    }
}
