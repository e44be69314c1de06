using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using MassTransit;
using Platform.Contracts.History;
using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.RecordEcsEvents;
using Platform.History.Features.TrackRuns;
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
    private readonly IBus bus;
    private readonly PlatformConfigSource config;

    public RunOutcomePublisher(IBus bus, PlatformConfigSource config)
    {
        this.bus = bus;
        this.config = config;
        Name = "run-outcomes";
        IncludeType<RunFinished>();
        IncludeType<LaunchFailureRecorded>();
        IncludeType<RunOpened>();
        IncludeType<RunMissedRecorded>();
        IncludeType<RunSlowDetected>();
        IncludeType<MissedRunArrivedLate>();
        Options.BatchSize = 500;
    }

    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller,
        IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var data = page.Events.Select(e => e.Data).ToList();
        var finished = data.OfType<RunFinished>().ToList();
        var runs = await LoadAsync<Run>(operations, finished.Select(f => f.RunId), r => r.Id, cancellationToken);
        var requests = await LoadAsync<LaunchRequest>(operations, finished.Where(f => !f.Succeeded).Select(f => f.RunId), r => r.Id, cancellationToken);
        var jobs = runs.Values.Select(r => r.Job).Concat(data.OfType<LaunchFailureRecorded>().Select(l => l.Job))
            .Concat(data.OfType<RunMissedRecorded>().Select(m => m.Job));
        var streaks = await LoadAsync<OutcomeStreak>(operations, jobs, s => s.Id, cancellationToken);
        var changed = new HashSet<string>();
        var current = config.Current;

        void Problem(string job, DateTimeOffset at)
        {
            streaks[job] = OutcomeStreak.Problem(streaks.GetValueOrDefault(job), job, at);
            changed.Add(job);
        }

        object? Success(RunFinished finished, Run run)
        {
            var stoppedAt = run.StoppedAt ?? finished.FinishedAt;
            var streak = streaks.GetValueOrDefault(run.Job);
            if (!OutcomeStreak.Tells(streak, stoppedAt))
                return null;
            streaks[run.Job] = OutcomeStreak.Told(streak, run.Job);
            changed.Add(run.Job);
            return ToMessage(finished, run, null);
        }

        object? Failure(RunFinished finished, Run run)
        {
            var message = (RunFailed)ToMessage(finished, run, requests.GetValueOrDefault(run.Id));
            Problem(run.Job, message.StoppedAt!.Value);
            return message;
        }

        var publishes = new List<Task>(page.Events.Count);
        foreach (var e in page.Events)
        {
            object? message = e.Data switch
            {
                RunFinished { Succeeded: true } done when runs.TryGetValue(done.RunId, out var run) => Success(done, run),
                RunFinished failed when runs.TryGetValue(failed.RunId, out var run) => Failure(failed, run),
                LaunchFailureRecorded failed => ToMessage(failed),
                MissedRunArrivedLate late => new RunLate(late.Job, late.Slot, late.RunId, late.CreatedAt),
                RunSlowDetected slow => new RunSlow(slow.Job, slow.RunId, slow.Cluster, slow.Duration, slow.Baseline, slow.Threshold),
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

    private static object ToMessage(RunFinished finished, Run run, LaunchRequest? request) => finished.Succeeded
        ? new RunSucceeded(run.Id, run.Job, run.Cluster, run.TaskArn ?? run.Id, run.TaskDefinition, run.Region, run.Account,
            run.StartedBy, run.CreatedAt, run.StartedAt, run.StoppedAt ?? finished.FinishedAt, run.Duration)
        : new RunFailed(run.Id, run.Job, run.Cluster, run.TaskArn ?? run.Id, run.TaskDefinition, run.Region, run.Account,
            run.StartedBy, run.Group, finished.Kind ?? FailureKind.ExitCode, finished.Reason ?? "", finished.StopCode,
            finished.Containers, run.CreatedAt, run.StartedAt, run.StoppedAt ?? finished.FinishedAt, run.Duration, request?.Parameters,
            request?.CloudTrailEventId, finished.Replayed);

    private static LaunchFailed ToMessage(LaunchFailureRecorded recorded)
    {
        var f = recorded.Failure;
        return new LaunchFailed(DeterministicId.LaunchRunId(f.EventId), recorded.Job, f.ClusterName, f.TaskDefinition, f.Region,
            f.Account, f.EventName, f.StartedBy, f.Group, recorded.Reason, f.Failures, f.Time, f.RequestParameters, f.CloudTrailEventId,
            recorded.Replayed);
    }
}
