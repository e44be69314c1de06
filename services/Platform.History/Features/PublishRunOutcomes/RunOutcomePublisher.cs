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

namespace Platform.History.Features.PublishRunOutcomes;

/// <summary>
/// Publishes each run's start and end to the other services from the stored events, so nothing is lost between "stored"
/// and "published". Marten saves its checkpoint after this returns: after a crash a page may be published again,
/// with the same <c>MessageId</c> (the stored event's id), and consumers dedupe on it.
/// </summary>
public sealed class RunOutcomePublisher : SubscriptionBase
{
    private readonly IBus bus;

    public RunOutcomePublisher(IBus bus)
    {
        this.bus = bus;
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
        var finishedRunIds = page.Events.Select(e => e.Data).OfType<RunFinished>().Select(f => f.RunId).ToList();
        var runs = finishedRunIds.Count == 0
            ? new Dictionary<string, Run>()
            : (await operations.LoadManyAsync<Run>(cancellationToken, finishedRunIds)).ToDictionary(r => r.Id);
        var failedRunIds = page.Events.Select(e => e.Data).OfType<RunFinished>().Where(f => !f.Succeeded).Select(f => f.RunId).ToList();
        var requests = failedRunIds.Count == 0
            ? new Dictionary<string, LaunchRequest>()
            : (await operations.LoadManyAsync<LaunchRequest>(cancellationToken, failedRunIds)).ToDictionary(r => r.Id);

        var publishes = new List<Task>(page.Events.Count);
        foreach (var e in page.Events)
        {
            object? message = e.Data switch
            {
                RunFinished finished when runs.TryGetValue(finished.RunId, out var run) => ToMessage(finished, run, requests.GetValueOrDefault(run.Id)),
                LaunchFailureRecorded failed => ToMessage(failed),
                MissedRunArrivedLate late => new RunLate(late.Job, late.Slot, late.RunId, late.CreatedAt),
                RunSlowDetected slow => new RunSlow(slow.Job, slow.RunId, slow.Cluster, slow.Duration, slow.Baseline, slow.Threshold),
                RunOpened opened => new RunStarted(opened.RunId, opened.Job, opened.Cluster, opened.TaskArn, opened.Region, opened.CreatedAt, opened.StartedBy,
                    opened.Replayed),
                _ => null,
            };
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
        return NullChangeListener.Instance;
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
