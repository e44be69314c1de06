using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using MassTransit;
using Platform.Contracts.History;
using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.LinkExecutions;
using Platform.History.Features.RecordEcsEvents;
using Platform.History.Features.TrackRuns;
using Platform.History.Features.WatchPipelines;
using Platform.ServiceDefaults.Configuration;

namespace Platform.History.Features.PublishRunOutcomes;

/// <summary>
/// Publishes each run's outcome to the other services from the stored events, so nothing is lost between "stored"
/// and "published". Marten saves its checkpoint, and the page's <see cref="OutcomeStreak"/>s, after this returns:
/// after a crash a page may be published again, with the same decisions and the same <c>MessageId</c> (the stored
/// event's id), and consumers dedupe on it.
/// </summary>
/// <remarks>
/// Only what someone acts on is published: on SQS/SNS every message is requests to pay for, and most runs start and
/// succeed unremarked. A start goes out for jobs whose monitor has a timeout (retry watches them); a success when it may
/// end an incident (<see cref="OutcomeStreak.Tells"/>). Failures, launch failures, missed, slow and late runs always.
/// </remarks>
public sealed class RunOutcomePublisher : SubscriptionBase
{
    /// <summary>What ECS writes in <c>startedBy</c> of a task that a Step Functions state started.</summary>
    public const string StepFunctionsStarter = "AWS Step Functions";

    private readonly IBus bus;
    private readonly PlatformConfigSource config;
    private readonly TimeProvider clock;

    public RunOutcomePublisher(IBus bus, PlatformConfigSource config, TimeProvider clock)
    {
        this.bus = bus;
        this.config = config;
        this.clock = clock;
        Name = "run-outcomes";
        IncludeType<RunFinished>();
        IncludeType<LaunchFailureRecorded>();
        IncludeType<RunOpened>();
        IncludeType<RunMissedRecorded>();
        IncludeType<RunSlowDetected>();
        IncludeType<MissedRunArrivedLate>();
        IncludeType<ExecutionLinked>();
        IncludeType<AttemptReleased>();
        IncludeType<PipelineSlotSettled>();
        Options.BatchSize = 500;
    }

    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller,
        IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var data = page.Events.Select(e => e.Data).ToList();
        var finished = data.OfType<RunFinished>().ToList();
        var linked = data.OfType<ExecutionLinked>().ToList();
        var runIds = finished.Select(f => f.RunId).Concat(data.OfType<AttemptReleased>().Select(r => r.RunId))
            .Concat(linked.Select(l => l.Outcome.ExecutionArn)).Concat(linked.Select(l => l.Outcome.LastTaskArn).OfType<string>());
        var runs = await LoadAsync<Run>(operations, runIds, r => r.Id, cancellationToken);
        var requests = await LoadAsync<LaunchRequest>(operations, finished.Where(f => !f.Succeeded).Select(f => f.RunId), r => r.Id, cancellationToken);
        var jobs = runs.Values.Select(r => r.Job).Concat(data.OfType<LaunchFailureRecorded>().Select(l => l.Job))
            .Concat(data.OfType<RunMissedRecorded>().Select(m => m.Job)).Concat(data.OfType<PipelineSlotSettled>().Select(p => p.Pipeline));
        var streaks = await LoadAsync<OutcomeStreak>(operations, jobs, s => s.Id, cancellationToken);
        var changed = new HashSet<string>();
        var current = config.Current;

        void Problem(string job, DateTimeOffset at)
        {
            streaks[job] = OutcomeStreak.Problem(streaks.GetValueOrDefault(job), job, at);
            changed.Add(job);
        }

        // Whether a success of the job is told (and counted as told); unknownTells: a job with no streak yet is told.
        bool Tell(string job, DateTimeOffset stoppedAt, bool unknownTells = true)
        {
            var streak = streaks.GetValueOrDefault(job);
            if ((streak is null && !unknownTells) || !OutcomeStreak.Tells(streak, stoppedAt, current.MonitorFor(job)?.RecoverAfter ?? 1))
                return false;
            streaks[job] = OutcomeStreak.Told(streak, job);
            changed.Add(job);
            return true;
        }

        object? Success(Run run, DateTimeOffset stoppedAt, ExecutionOutcome? execution = null) => Tell(run.Job, stoppedAt)
            ? new RunSucceeded(run.Id, run.Job, run.Cluster, run.TaskArn ?? run.Id, run.TaskDefinition, run.Region, run.Account,
                run.StartedBy, run.CreatedAt, run.StartedAt, stoppedAt, run.Duration, execution)
            : null;

        object? Failure(Run run, DateTimeOffset stoppedAt, bool replayed, ExecutionOutcome? execution = null, Run? lastTask = null)
        {
            var message = new RunFailed(run.Id, run.Job, lastTask?.Cluster ?? run.Cluster, execution?.LastTaskArn ?? run.TaskArn ?? run.Id,
                lastTask?.TaskDefinition ?? run.TaskDefinition, run.Region, run.Account, run.StartedBy, run.Group, run.FailureKind ?? FailureKind.ExitCode,
                execution?.Error ?? run.Reason ?? "", lastTask?.StopCode ?? run.StopCode, lastTask?.Containers ?? run.Containers,
                run.CreatedAt, run.StartedAt, stoppedAt, run.Duration, requests.GetValueOrDefault(run.Id)?.Parameters,
                requests.GetValueOrDefault(run.Id)?.CloudTrailEventId, replayed, execution);
            Problem(run.Job, stoppedAt);
            return message;
        }

        object? Finished(RunFinished done, Run run)
        {
            var stoppedAt = run.StoppedAt ?? done.FinishedAt;
            // An execution is told once its history was read (ExecutionLinked), to name the state that failed.
            if (run.IsExecution)
                return null;
            if (done.Succeeded)
                return Success(run, stoppedAt);
            // A task a Step Functions state ran is an attempt of its execution until shown otherwise (ExecutionLinker).
            if (run.StartedBy?.StartsWith(StepFunctionsStarter, StringComparison.Ordinal) == true && !done.Replayed)
            {
                operations.Store(new HeldAttempt(run.Id, run.Job, stoppedAt, clock.GetUtcNow()));
                return null;
            }
            return Failure(run, stoppedAt, done.Replayed);
        }

        object? Linked(ExecutionLinked link, Run execution)
        {
            var stoppedAt = execution.StoppedAt ?? execution.CreatedAt;
            return link.Succeeded
                ? Success(execution, stoppedAt, link.Outcome)
                : Failure(execution, stoppedAt, false, link.Outcome, link.Outcome.LastTaskArn is { } last ? runs.GetValueOrDefault(last) : null);
        }

        // A pipeline's slot: late is a problem of the pipeline (alerted once); ready may end the incident a late one opened.
        object? Pipeline(PipelineSlotSettled slot)
        {
            if (!slot.Ready)
            {
                Problem(slot.Pipeline, slot.Deadline);
                return new PipelineLate(slot.Pipeline, slot.Slot, slot.Deadline, slot.TimeZone, slot.Culprit!, slot.Steps);
            }
            var readyAt = slot.ReadyAt ?? slot.Deadline;
            // A pipeline that was never late has no incident to end.
            if (!Tell(slot.Pipeline, readyAt, unknownTells: false))
                return null;
            var id = $"pipeline:{slot.Pipeline}:{slot.Slot.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}";
            return new RunSucceeded(id, slot.Pipeline, "", id, "", "", "", null, slot.Slot, slot.Slot, readyAt, readyAt - slot.Slot);
        }

        var publishes = new List<Task>(page.Events.Count);
        foreach (var e in page.Events)
        {
            object? message = e.Data switch
            {
                RunFinished done when runs.TryGetValue(done.RunId, out var run) => Finished(done, run),
                ExecutionLinked link when runs.TryGetValue(link.Outcome.ExecutionArn, out var execution) => Linked(link, execution),
                PipelineSlotSettled slot => Pipeline(slot),
                AttemptReleased released when runs.TryGetValue(released.RunId, out var task) => Failure(task, task.StoppedAt ?? task.CreatedAt, false),
                LaunchFailureRecorded failed => ToMessage(failed),
                MissedRunArrivedLate late => new RunLate(late.Job, late.Slot, late.RunId, late.CreatedAt),
                RunSlowDetected slow => new RunSlow(slow.Job, slow.RunId, slow.Cluster, slow.Duration, slow.Baseline, slow.Threshold, slow.TooShort),
                // Only retry's overrun watch takes a start, and only for a job with a timeout on a cluster it watches.
                RunOpened opened when !opened.Replayed && current.Watches(opened.Cluster) && current.MonitorFor(opened.Job)?.Timeout is not null =>
                    new RunStarted(opened.RunId, opened.Job, opened.Cluster, opened.TaskArn, opened.Region, opened.CreatedAt, opened.StartedBy, opened.Replayed),
                _ => null,
            };
            if (e.Data is LaunchFailureRecorded launch)
                Problem(launch.Job, launch.Failure.Time);
            else if (e.Data is RunMissedRecorded missed)
                Problem(missed.Job, missed.Slot);
            if (message is not null)
                publishes.Add(bus.Publish(message, message.GetType(), ctx => ctx.MessageId = e.Id, cancellationToken));
        }
        // Slots of one job missed together are one message (its id: the first slot's event's).
        foreach (var job in page.Events.Where(e => e.Data is RunMissedRecorded).GroupBy(e => ((RunMissedRecorded)e.Data).Job))
        {
            var missed = job.Select(e => (RunMissedRecorded)e.Data).OrderBy(m => m.Slot).ToList();
            var message = new RunMissed(job.Key, [.. missed.Select(m => m.Slot)], missed[0].Schedule, missed[0].TimeZone, missed[0].Grace);
            var id = job.First().Id;
            publishes.Add(bus.Publish(message, ctx => ctx.MessageId = id, cancellationToken));
        }
        await Task.WhenAll(publishes);
        foreach (var job in changed)
            operations.Store(streaks[job]);
        return NullChangeListener.Instance;
    }

    private static async Task<Dictionary<string, T>> LoadAsync<T>(IDocumentOperations operations, IEnumerable<string> ids, Func<T, string> id,
        CancellationToken ct) where T : notnull
    {
        var distinct = ids.Distinct().ToList();
        return distinct.Count == 0 ? [] : (await operations.LoadManyAsync<T>(ct, distinct)).ToDictionary(id);
    }

    private static LaunchFailed ToMessage(LaunchFailureRecorded recorded)
    {
        var f = recorded.Failure;
        return new LaunchFailed(DeterministicId.LaunchRunId(f.EventId), recorded.Job, f.ClusterName, f.TaskDefinition, f.Region,
            f.Account, f.EventName, f.StartedBy, f.Group, recorded.Reason, f.Failures, f.Time, f.RequestParameters, f.CloudTrailEventId,
            recorded.Replayed);
    }
}
