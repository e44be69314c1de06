using System.Globalization;
using MassTransit;
using Platform.Contracts.Retry;

namespace Platform.Notifier.Features.TrackIncidents;

// The retry service's decisions, told in the incident's thread: failure → relaunch 1 → outcome is one thread.

public sealed class RelaunchScheduledConsumer(AlertRecorder recorder) : IConsumer<RelaunchScheduled>
{
    public Task Consume(ConsumeContext<RelaunchScheduled> context)
    {
        var m = context.Message;
        return recorder.RecordRetryUpdateAsync(RunFailedConsumer.MessageIdOf(context), m.Job, m.Cluster,
            $"⏳ {m.Job}: relaunch attempt {m.Attempt} of {m.MaxAttempts} at {m.DueAt.UtcDateTime.ToString("HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)} ({m.Reason})",
            important: false, context.CancellationToken);
    }
}

public sealed class TaskRelaunchedConsumer(AlertRecorder recorder) : IConsumer<TaskRelaunched>
{
    public Task Consume(ConsumeContext<TaskRelaunched> context)
    {
        var m = context.Message;
        return recorder.RecordRetryUpdateAsync(RunFailedConsumer.MessageIdOf(context), m.Job, m.Cluster,
            $"↻ {m.Job}: attempt {m.Attempt} of {m.MaxAttempts} started task {m.TaskArn[(m.TaskArn.LastIndexOf('/') + 1)..]}",
            important: false, context.CancellationToken);
    }
}

public sealed class RelaunchFailedConsumer(AlertRecorder recorder) : IConsumer<RelaunchFailed>
{
    public Task Consume(ConsumeContext<RelaunchFailed> context)
    {
        var m = context.Message;
        return recorder.RecordRetryUpdateAsync(RunFailedConsumer.MessageIdOf(context), m.Job, m.Cluster,
            $"⚠️ {m.Job}: relaunch attempt {m.Attempt} refused: {m.Error}", important: true, context.CancellationToken);
    }
}

public sealed class RetriesExhaustedConsumer(AlertRecorder recorder) : IConsumer<RetriesExhausted>
{
    public Task Consume(ConsumeContext<RetriesExhausted> context)
    {
        var m = context.Message;
        return recorder.RecordRetryUpdateAsync(RunFailedConsumer.MessageIdOf(context), m.Job, m.Cluster,
            $"🛑 {m.Job} gave up after {m.Attempts} attempts: {m.LastReason}", important: true, context.CancellationToken);
    }
}
