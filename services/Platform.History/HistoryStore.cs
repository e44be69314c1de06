using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.LinkExecutions;
using Platform.History.Features.RecordRetryDecisions;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using Marten;
using Weasel.Core;
using Platform.History.Features.PublishRunOutcomes;
using Platform.History.Features.RecordEcsEvents;
using Platform.History.Features.SummarizeJobs;
using Platform.History.Features.TrackRuns;

namespace Platform.History;

/// <summary>The Marten event store and its projections.</summary>
public static class HistoryStore
{
    public static void Configure(StoreOptions opts, HistoryOptions options, bool development)
    {
        opts.Connection(options.ConnectionString!);
        opts.DatabaseSchemaName = options.Schema;
        opts.AutoCreateSchemaObjects = development ? AutoCreate.All : AutoCreate.CreateOrUpdate;
        opts.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);

        opts.Events.StreamIdentity = StreamIdentity.AsString;
        // Quick appends in one statement per batch. Safe because history has a single writer: RabbitMQ's single
        // active consumer hands the queue to one instance, which writes one batch at a time.
        opts.Events.AppendMode = EventAppendMode.Quick;
        opts.Events.EnableUniqueIndexOnEventId = true;
        opts.Events.UseListenNotifyForEventAppends = true;
        // Needed with the DistributedLock.Postgres stand-in, or the daemon never runs async projections.
        opts.Events.UseAdvisoryLockTransaction = true;
        opts.Events.AddEventType<TaskStateRecorded>();
        opts.Events.AddEventType<RunOpened>();
        opts.Events.AddEventType<LaunchFailureRecorded>();
        opts.Events.AddEventType<RunFinished>();
        opts.Events.AddEventType<LaunchRequestRecorded>();
        opts.Events.AddEventType<RetryDecisionRecorded>();
        opts.Events.AddEventType<RunMissedRecorded>();
        opts.Events.AddEventType<RunSlowDetected>();
        opts.Events.AddEventType<MissedRunArrivedLate>();
        opts.Events.AddEventType<ExecutionStatusRecorded>();
        opts.Events.AddEventType<ExecutionLinked>();
        opts.Events.AddEventType<AttemptReleased>();
        opts.Events.AddEventType<Features.WatchPipelines.PipelineSlotSettled>();

        opts.Schema.For<Run>()
            .Duplicate(r => r.Job)
            .Duplicate(r => r.CreatedAt);
        // Two writers fold into summaries: the recorder and the missed-run detector. A summary changed since it was
        // loaded is refused (the recorder's batch, or the detector's tick, is retried) instead of losing an update.
        opts.Schema.For<JobSummary>().UseOptimisticConcurrency(true);
        opts.Schema.For<LaunchRequest>();
        opts.Schema.For<OutcomeStreak>();
        opts.Schema.For<OpenExecution>();
        opts.Schema.For<HeldAttempt>();
        opts.Schema.For<ExecutionOfTask>();
        opts.Schema.For<Features.WatchPipelines.PipelineStatus>();
        opts.Schema.For<Features.ReadTaskDefinitions.TaskDefinitionContainers>();
        opts.Schema.For<MissedSlot>().Duplicate(m => m.Job).Duplicate(m => m.Slot);
        opts.Schema.For<ScheduleCursor>();
        opts.Schema.For<RetryDecision>().Duplicate(d => d.Job).Duplicate(d => d.At);
        opts.Schema.For<Features.KeepDeadLetters.DeadLetter>();
    }

    public static IServiceCollection AddHistoryStore(this IServiceCollection services, bool development)
    {
        services.AddMarten(sp =>
            {
                var opts = new StoreOptions();
                Configure(opts, sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<HistoryOptions>>().Value, development);
                return opts;
            })
            .UseLightweightSessions()
            .ApplyAllDatabaseChangesOnStartup()
            .AddAsyncDaemon(DaemonMode.HotCold)
            .AddSubscriptionWithServices<RunOutcomePublisher>(ServiceLifetime.Singleton);
        return services;
    }
}
