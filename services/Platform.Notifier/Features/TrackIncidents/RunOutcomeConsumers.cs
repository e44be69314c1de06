using Platform.Contracts.Digest;
using MassTransit;
using Platform.Contracts.History;
using Platform.Notifier.Features.RenderSlackMessages;

namespace Platform.Notifier.Features.TrackIncidents;

public sealed class RunFailedConsumer(AlertRecorder recorder) : IConsumer<RunFailed>
{
    public Task Consume(ConsumeContext<RunFailed> context)
    {
        var run = context.Message;
        return recorder.RecordFailureAsync(MessageIdOf(context), run.Job, run.Cluster, run.StoppedAt ?? DateTimeOffset.UtcNow,
            SlackMessageRenderer.Describe(run.Kind, run.Reason),
            route => SlackMessageRenderer.Failure(run, route), context.CancellationToken);
    }

    internal static Guid MessageIdOf(ConsumeContext context) =>
        context.MessageId ?? throw new InvalidOperationException("A run outcome without a MessageId cannot be deduplicated.");
}

public sealed class LaunchFailedConsumer(AlertRecorder recorder) : IConsumer<LaunchFailed>
{
    public Task Consume(ConsumeContext<LaunchFailed> context)
    {
        var launch = context.Message;
        return recorder.RecordFailureAsync(RunFailedConsumer.MessageIdOf(context), launch.Job, launch.Cluster, launch.Time, $"never launched: {launch.Reason}",
            route => SlackMessageRenderer.LaunchFailure(launch, route), context.CancellationToken);
    }
}

/// <summary>A missed run is a failure of the job: it opens (or adds to) the job's incident, and a later success recovers it.</summary>
public sealed class RunMissedConsumer(AlertRecorder recorder) : IConsumer<RunMissed>
{
    public Task Consume(ConsumeContext<RunMissed> context)
    {
        var missed = context.Message;
        // A missed run has no cluster: routes take it by job.
        return recorder.RecordFailureAsync(RunFailedConsumer.MessageIdOf(context), missed.Job, "", missed.Slots[^1],
            missed.Slots.Count == 1 ? "missed a scheduled run" : $"missed {missed.Slots.Count} scheduled runs",
            route => SlackMessageRenderer.MissedRun(missed, route), context.CancellationToken);
    }
}

/// <summary>A slow run is worth a message of its own, or a line in the thread of a job that is failing anyway.</summary>
public sealed class RunSlowConsumer(AlertRecorder recorder) : IConsumer<RunSlow>
{
    public Task Consume(ConsumeContext<RunSlow> context)
    {
        var slow = context.Message;
        return recorder.RecordRetryUpdateAsync(RunFailedConsumer.MessageIdOf(context), slow.Job, slow.Cluster, SlackMessageRenderer.SlowText(slow),
            important: true, context.CancellationToken);
    }
}

/// <summary>A missed run that came after all is told in the missed-run alert's thread (bot routes), not as a new alert.</summary>
public sealed class RunLateConsumer(AlertRecorder recorder) : IConsumer<RunLate>
{
    public Task Consume(ConsumeContext<RunLate> context)
    {
        var late = context.Message;
        var text = $"⏰ {late.Job}: the run due {late.Slot.UtcDateTime:yyyy-MM-dd HH:mm} UTC came late, created {late.CreatedAt.UtcDateTime:HH:mm} UTC";
        return recorder.RecordRetryUpdateAsync(RunFailedConsumer.MessageIdOf(context), late.Job, "", text, important: false, context.CancellationToken);
    }
}

/// <summary>A pipeline not ready by its deadline is a failure of the pipeline: one alert naming the step that was not done.</summary>
public sealed class PipelineLateConsumer(AlertRecorder recorder) : IConsumer<PipelineLate>
{
    public Task Consume(ConsumeContext<PipelineLate> context)
    {
        var late = context.Message;
        return recorder.RecordFailureAsync(RunFailedConsumer.MessageIdOf(context), late.Pipeline, "", late.Deadline,
            $"not ready by its deadline: {late.Step.Step} {late.Step.State}", route => SlackMessageRenderer.PipelineLate(late, route), context.CancellationToken);
    }
}

public sealed class DigestReadyConsumer(AlertRecorder recorder) : IConsumer<DigestReady>
{
    public Task Consume(ConsumeContext<DigestReady> context)
    {
        var parts = SlackMessageRenderer.Digest(context.Message);
        return recorder.RecordDigestAsync(RunFailedConsumer.MessageIdOf(context), context.Message.Route, parts, context.CancellationToken);
    }
}

public sealed class RunSucceededConsumer(AlertRecorder recorder) : IConsumer<RunSucceeded>
{
    public Task Consume(ConsumeContext<RunSucceeded> context) =>
        recorder.RecordSuccessAsync(RunFailedConsumer.MessageIdOf(context), context.Message, context.CancellationToken);
}
