using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts.Ingest;
using Platform.ServiceDefaults;

namespace Platform.Ingest.Features.NormalizeEcsEvents;

/// <summary>Sends normalized events to history as few messages, all in flight at once, and returns when the broker confirmed them.</summary>
public sealed class EcsEventsSender(IBus bus, IOptions<IngestOptions> options)
{
    public async Task SendAsync(IReadOnlyList<TaskStateChanged> changes, IReadOnlyList<TaskLaunchFailed> failures, CancellationToken ct)
    {
        var size = options.Value.MaxEventsPerMessage;
        var messages = changes.Chunk(size).Select(c => new RecordEcsEvents(c, []))
            .Concat(failures.Chunk(size).Select(f => new RecordEcsEvents([], f)));
        var history = await bus.GetSendEndpoint(PlatformTopology.HistoryEcsEventsAddress);
        await Task.WhenAll(messages.Select(m => history.Send(m, ct)));
    }
}
