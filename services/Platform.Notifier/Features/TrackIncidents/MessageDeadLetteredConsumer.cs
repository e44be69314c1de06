using MassTransit;
using Platform.Contracts.Bus;

namespace Platform.Notifier.Features.TrackIncidents;

/// <summary>One message to the default route per message moved to an error queue: "N events could not be stored: why".</summary>
public sealed class MessageDeadLetteredConsumer(AlertRecorder recorder) : IConsumer<MessageDeadLettered>
{
    public Task Consume(ConsumeContext<MessageDeadLettered> context)
    {
        var m = context.Message;
        var text = m.MessageType == nameof(Contracts.Ingest.RecordEcsEvents)
            ? $"⚠️ {m.Items} event(s) could not be stored: {m.Reason}. They wait in {m.WaitsIn}."
            : $"⚠️ {m.Items} {m.MessageType} message(s) could not be handled by {m.Service}: {m.Reason}. They wait in {m.WaitsIn}.";
        return recorder.RecordPlatformProblemAsync(RunFailedConsumer.MessageIdOf(context), text, context.CancellationToken);
    }
}
