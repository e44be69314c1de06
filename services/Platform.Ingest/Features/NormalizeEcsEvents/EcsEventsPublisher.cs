using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts.Ingest;

namespace Platform.Ingest.Features.NormalizeEcsEvents;

/// <summary>Publishes a batch of normalized events as few messages, all in flight at once, and returns when the broker confirmed them.</summary>
public sealed class EcsEventsPublisher(IBus publish, IOptions<IngestOptions> options)
{
    public Task PublishAsync(IReadOnlyList<TaskStateChanged> changes, IReadOnlyList<TaskLaunchFailed> failures, CancellationToken ct)
    {
        var size = options.Value.MaxEventsPerMessage;
        var messages = changes.Chunk(size).Select(c => new EcsEventsReceived(c, []))
            .Concat(failures.Chunk(size).Select(f => new EcsEventsReceived([], f)));
        return Task.WhenAll(messages.Select(m => publish.Publish(m, ct)));
    }
}
