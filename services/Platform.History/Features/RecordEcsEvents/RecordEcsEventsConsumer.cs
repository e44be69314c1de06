using JasperFx.Events;
using Marten;
using MassTransit;
using Platform.Contracts.Ingest;
using Platform.History.Features.TrackRuns;
using Platform.ServiceDefaults;

namespace Platform.History.Features.RecordEcsEvents;

/// <summary>
/// Stores the ECS events of many messages in one session: one query loads the runs they touch, one commit appends.
/// Idempotent: an event already recorded is skipped (its <c>detail.version</c> is in the run), and a concurrent
/// duplicate is refused by the unique event id, which retries the batch.
/// </summary>
public sealed partial class RecordEcsEventsConsumer(IDocumentStore store, JobNaming naming, TimeProvider clock, ILogger<RecordEcsEventsConsumer> logger)
    : IConsumer<Batch<Contracts.Ingest.RecordEcsEvents>>
{
    public async Task Consume(ConsumeContext<Batch<Contracts.Ingest.RecordEcsEvents>> context)
    {
        var changes = context.Message.SelectMany(m => m.Message.TaskStateChanges).DistinctBy(c => c.EventId).ToList();
        var failures = context.Message.SelectMany(m => m.Message.LaunchFailures).DistinctBy(f => f.EventId).ToList();

        await using var session = store.LightweightSession();
        var runIds = changes.Select(c => c.TaskArn).Concat(failures.Select(f => DeterministicId.LaunchRunId(f.EventId))).Distinct().ToList();
        var runs = (await session.LoadManyAsync<Run>(context.CancellationToken, runIds)).ToDictionary(r => r.Id);

        var appended = 0;
        var finished = 0;
        foreach (var task in changes.GroupBy(c => c.TaskArn))
        {
            runs.TryGetValue(task.Key, out var run);
            var job = run?.Job;
            var events = new List<IEvent>();
            foreach (var change in task.OrderBy(c => c.Version))
            {
                if (run is not null && run.RecordedVersions.Contains(change.Version))
                    continue;
                job ??= naming.For(change);
                var recorded = new TaskStateRecorded(job, change);
                run = RunProjection.Next(run, recorded);
                events.Add(Build(session, recorded, DeterministicId.ForEcsEvent(change.EventId)));
            }
            if (run is { LastStatus: "STOPPED", Finished: false })
            {
                var outcome = RunClassifier.Classify(run, clock.GetUtcNow());
                events.Add(Build(session, outcome, DeterministicId.ForRunFinished(run.Id)));
                finished++;
            }
            if (events.Count == 0)
                continue;
            session.Events.Append(task.Key, events);
            appended += events.Count;
        }

        foreach (var failure in failures)
        {
            var runId = DeterministicId.LaunchRunId(failure.EventId);
            if (runs.ContainsKey(runId))
                continue;
            session.Events.Append(runId, Build(session, new LaunchFailureRecorded(naming.For(failure), failure), DeterministicId.ForEcsEvent(failure.EventId)));
            appended++;
        }

        if (appended == 0)
            return;
        await session.SaveChangesAsync(context.CancellationToken);
        LogRecorded(appended, finished, changes.Count + failures.Count - appended + finished);
    }

    private static IEvent Build(IDocumentSession session, object data, Guid id)
    {
        var e = session.Events.BuildEvent(data);
        e.Id = id;
        return e;
    }

    [LoggerMessage(LogLevel.Debug, "Recorded {Appended} event(s), {Finished} finished run(s); {Duplicates} duplicate(s) skipped")]
    private partial void LogRecorded(int appended, int finished, int duplicates);
}

public sealed class RecordEcsEventsConsumerDefinition : ConsumerDefinition<RecordEcsEventsConsumer>
{
    public RecordEcsEventsConsumerDefinition()
    {
        EndpointName = PlatformTopology.HistoryEcsEvents;
        // Two batches in flight keep the database busy while the next batch is gathered; more only adds conflicts.
        ConcurrentMessageLimit = 2;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<RecordEcsEventsConsumer> consumer, IRegistrationContext context)
    {
        endpoint.PrefetchCount = 512;
        consumer.Options<BatchOptions>(o => o.SetMessageLimit(100).SetTimeLimit(TimeSpan.FromMilliseconds(20)).SetConcurrencyLimit(2));
    }
}
