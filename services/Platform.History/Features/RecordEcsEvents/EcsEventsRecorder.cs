using JasperFx.Events;
using Marten;
using Marten.Exceptions;
using Npgsql;
using Platform.Contracts.Ingest;
using Platform.History.Features.LinkExecutions;
using Platform.History.Features.ReadTaskDefinitions;
using Platform.History.Features.SummarizeJobs;
using Platform.History.Features.TrackRuns;

namespace Platform.History.Features.RecordEcsEvents;

/// <summary>
/// Stores the ECS events of many messages in one session: one query loads the runs they touch, one commit appends
/// the events and stores the runs they changed.
/// Idempotent: an event already recorded is skipped (its <c>detail.version</c> is in the run), and a concurrent
/// duplicate is refused by the unique event id, which fails the write to be retried.
/// </summary>
public sealed partial class EcsEventsRecorder(
    IDocumentStore store, JobNaming naming, EssentialContainers essentialContainers, TimeProvider clock, ILogger<EcsEventsRecorder> logger)
{
    /// <summary>
    /// The group commit's write. One message that cannot be stored whole is stored event by event, so one bad event
    /// never takes the others of its message with it; if some still fail, the message goes on to its error queue
    /// (where it waits whole, and is reported), saying how many of its events were not stored.
    /// </summary>
    public async Task WriteAsync(IReadOnlyList<Contracts.Ingest.RecordEcsEvents> messages, CancellationToken ct)
    {
        try
        {
            await RecordAsync(messages, ct);
        }
        catch (RecordingFailedException) when (messages is [var message] && Split(message).Count > 1 && !ct.IsCancellationRequested)
        {
            var failed = 0;
            string? reason = null;
            foreach (var single in Split(message))
            {
                try
                {
                    await RecordAsync([single], ct);
                }
                catch (RecordingFailedException e)
                {
                    failed++;
                    reason ??= e.Message;
                }
            }
            if (failed > 0)
                throw new EventsNotStoredException(failed, reason!);
        }
    }

    private static List<Contracts.Ingest.RecordEcsEvents> Split(Contracts.Ingest.RecordEcsEvents m) =>
    [
        .. m.TaskStateChanges.Select(c => new Contracts.Ingest.RecordEcsEvents([c], [], [], m.Replayed)),
        .. m.LaunchFailures.Select(f => new Contracts.Ingest.RecordEcsEvents([], [f], [], m.Replayed)),
        .. (m.LaunchRequests ?? []).Select(r => new Contracts.Ingest.RecordEcsEvents([], [], [r], m.Replayed)),
        .. (m.ExecutionChanges ?? []).Select(e => new Contracts.Ingest.RecordEcsEvents([], [], [], m.Replayed, [e])),
    ];

    public async Task RecordAsync(IReadOnlyList<Contracts.Ingest.RecordEcsEvents> messages, CancellationToken ct)
    {
        var changes = messages.SelectMany(m => m.TaskStateChanges).DistinctBy(c => c.EventId).ToList();
        var failures = messages.SelectMany(m => m.LaunchFailures).DistinctBy(f => f.EventId).ToList();
        var requests = messages.SelectMany(m => m.LaunchRequests ?? []).DistinctBy(r => r.EventId).ToList();
        var executions = messages.SelectMany(m => m.ExecutionChanges ?? []).DistinctBy(e => e.EventId).ToList();
        var replayed = messages.Where(m => m.Replayed).SelectMany(m => m.TaskStateChanges.Select(c => c.EventId).Concat(m.LaunchFailures.Select(f => f.EventId)))
            .ToHashSet();

        var started = clock.GetTimestamp();
        await using var session = store.LightweightSession();
        var runIds = changes.Select(c => c.TaskArn).Concat(failures.Select(f => DeterministicId.LaunchRunId(f.EventId)))
            .Concat(executions.Select(e => e.ExecutionArn)).Distinct().ToList();
        var runs = (await session.LoadManyAsync<Run>(ct, runIds)).ToDictionary(r => r.Id);
        var taskDefinitions = await ReadTaskDefinitionsAsync(session, changes, runs, ct);

        var appended = 0;
        var opened = 0;
        var finishing = new List<object>();
        foreach (var task in changes.GroupBy(c => c.TaskArn))
        {
            runs.TryGetValue(task.Key, out var run);
            var opens = run is null;
            var job = run?.Job;
            var events = new List<IEvent>();
            foreach (var change in task.OrderBy(c => c.Version))
            {
                if (run is not null && run.RecordedVersions.Contains(change.Version))
                    continue;
                job ??= naming.For(change);
                var recorded = new TaskStateRecorded(job, change);
                // Events arrive out of order: the first one stored may be any state; one that is already STOPPED opens nothing.
                if (opens && run is null && change.LastStatus != "STOPPED")
                {
                    events.Add(session.Events.BuildEvent(new RunOpened(change.TaskArn, job, change.ClusterName, change.TaskArn, change.Region,
                        change.CreatedAt ?? change.Time, change.StartedBy, replayed.Contains(change.EventId)), DeterministicId.ForRunOpened(change.TaskArn)));
                    opened++;
                }
                run = RunProjection.Next(run, recorded);
                events.Add(session.Events.BuildEvent(recorded, DeterministicId.ForEcsEvent(change.EventId)));
            }
            if (run is { LastStatus: "STOPPED", Finished: false })
            {
                var outcome = RunClassifier.Classify(run, clock.GetUtcNow(), naming.DecidingContainers(run.Job),
                        taskDefinitions.GetValueOrDefault(run.TaskDefinition)?.Essential)
                    with { Replayed = task.Any(c => replayed.Contains(c.EventId)) };
                events.Add(session.Events.BuildEvent(outcome, DeterministicId.ForRunFinished(run.Id)));
                run = RunProjection.Next(run, outcome);
                finishing.Add(outcome);
            }
            if (events.Count == 0)
                continue;
            session.Events.Append(task.Key, events);
            session.Store(run!);
            appended += events.Count;
        }

        foreach (var failure in failures)
        {
            var runId = DeterministicId.LaunchRunId(failure.EventId);
            if (runs.ContainsKey(runId))
                continue;
            var recorded = new LaunchFailureRecorded(naming.For(failure), failure, replayed.Contains(failure.EventId));
            session.Events.Append(runId, session.Events.BuildEvent(recorded, DeterministicId.ForEcsEvent(failure.EventId)));
            session.Store(Run.Start(recorded));
            finishing.Add(recorded);
            appended++;
        }

        appended += await RecordLaunchRequestsAsync(session, requests, ct);
        appended += RecordExecutions(session, executions, runs, finishing);

        if (appended == 0)
            return;
        await SummarizeAsync(session, finishing, runs, ct);
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (Exception e) when (e is MartenException or NpgsqlException)
        {
            // Marten's exceptions carry the SQL command and its parameters (the events): keep them out of logs and
            // out of the Fault message, which could not serialize them anyway. The endpoint's retry policy retries.
            throw new RecordingFailedException(e);
        }
        LogRecorded(messages.Count, appended, finishing.Count,
            changes.Count + failures.Count + requests.Count + executions.Count - (appended - opened - finishing.OfType<RunFinished>().Count()), clock.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Step Functions executions are runs of the job named by their state machine: RUNNING opens one, its end finishes
    /// it. Each is put on the linker's list (<see cref="OpenExecution"/>) until its history has been read.
    /// </summary>
    private int RecordExecutions(IDocumentSession session, List<ExecutionStatusChanged> executions, Dictionary<string, Run> runs, List<object> finishing)
    {
        var appended = 0;
        foreach (var execution in executions.GroupBy(e => e.ExecutionArn))
        {
            runs.TryGetValue(execution.Key, out var run);
            var events = new List<IEvent>();
            foreach (var change in execution.OrderBy(c => c.Ended))
            {
                if (run is not null && run.RecordedVersions.Contains(change.Ended ? 1 : 0))
                    continue;
                var recorded = new ExecutionStatusRecorded(run?.Job ?? naming.For(change), change);
                run = RunProjection.Next(run, recorded);
                events.Add(session.Events.BuildEvent(recorded, DeterministicId.ForEcsEvent(change.EventId)));
                if (change.Ended && !run!.Finished)
                {
                    var outcome = RunClassifier.Classify(run, change);
                    events.Add(session.Events.BuildEvent(outcome, DeterministicId.ForRunFinished(run.Id)));
                    run = RunProjection.Next(run, outcome);
                    finishing.Add(outcome);
                }
            }
            if (events.Count == 0)
                continue;
            session.Events.Append(execution.Key, events);
            session.Store(run!);
            if (!run!.Linked)
                session.Store(new OpenExecution(run.Id, run.Job, run.TaskDefinition, run.CreatedAt, run.Finished ? run.StoppedAt : null));
            appended += events.Count;
        }
        return appended;
    }

    /// <summary>
    /// The task definitions of the tasks this batch stops that have several containers (with one, it is the essential
    /// one): their classification depends on which containers are essential.
    /// </summary>
    private Task<IReadOnlyDictionary<string, TaskDefinitionContainers>> ReadTaskDefinitionsAsync(
        IDocumentSession session, List<TaskStateChanged> changes, Dictionary<string, Run> runs, CancellationToken ct) =>
        essentialContainers.ReadAsync(session, changes
            .Where(c => c is { LastStatus: "STOPPED", Containers.Count: > 1 } && runs.GetValueOrDefault(c.TaskArn) is not { Finished: true })
            .Select(c => c.TaskDefinitionArn).Distinct().ToList(), ct);

    private async Task<int> RecordLaunchRequestsAsync(IDocumentSession session, List<TaskLaunchRequested> requests, CancellationToken ct)
    {
        if (requests.Count == 0)
            return 0;
        var known = (await session.LoadManyAsync<LaunchRequest>(ct, requests.SelectMany(r => r.TaskArns).Distinct().ToList())).Select(r => r.Id).ToHashSet();
        var appended = 0;
        foreach (var request in requests.Where(r => r.TaskArns.Any(arn => !known.Contains(arn))))
        {
            var recorded = new LaunchRequestRecorded(naming.For(request), request);
            session.Events.Append("launch-request:" + request.EventId, session.Events.BuildEvent(recorded, DeterministicId.ForEcsEvent(request.EventId)));
            session.Store(request.TaskArns.Select(arn => new LaunchRequest(arn, recorded.Job, request.RequestParameters, request.CloudTrailEventId)).ToArray());
            appended++;
        }
        return appended;
    }

    private async Task SummarizeAsync(IDocumentSession session, List<object> finishing, Dictionary<string, Run> runs, CancellationToken ct)
    {
        if (finishing.Count == 0)
            return;
        var jobs = finishing.Select(f => JobSummaryProjection.JobOf(f)!).Distinct().ToList();
        var summaries = (await session.LoadManyAsync<JobSummary>(ct, jobs)).ToDictionary(j => j.Id);
        var loaded = summaries.Keys.ToHashSet();
        foreach (var data in finishing)
        {
            var job = JobSummaryProjection.JobOf(data)!;
            var summary = summaries.GetValueOrDefault(job);
            if (data is RunFinished { Duration: { } duration } finished)
            {
                var cluster = runs.GetValueOrDefault(finished.RunId)?.Cluster ?? "";
                RunSlowDetected? slow = naming.SlowThreshold(job, summary?.Baseline) is { } threshold && duration > threshold
                    ? new RunSlowDetected(job, finished.RunId, cluster, duration, summary?.Baseline, threshold)
                    : finished.Succeeded && naming.MinDuration(job) is { } min && duration < min
                        ? new RunSlowDetected(job, finished.RunId, cluster, duration, summary?.Baseline, min, TooShort: true)
                        : null;
                if (slow is not null)
                    session.Events.Append("slow:" + finished.RunId, session.Events.BuildEvent(slow, DeterministicId.ForRunSlow(finished.RunId)));
            }
            summaries[job] = JobSummaryProjection.Next(summary, job, data);
        }
        foreach (var (job, summary) in summaries)
            JobSummaryProjection.Save(session, summary, isNew: !loaded.Contains(job));
    }

    [LoggerMessage(LogLevel.Debug, "Recorded {Messages} message(s): {Appended} event(s) stored, {Finished} run(s) finished, {Duplicates} duplicate(s) skipped, in {Milliseconds:F0} ms")]
    private partial void LogRecorded(int messages, int appended, int finished, int duplicates, double milliseconds);
}

/// <summary>Some events of a message could not be stored, even one by one (the others were).</summary>
public sealed class EventsNotStoredException(int events, string reason)
    : Exception($"{events} event(s) could not be stored: {reason}"), Platform.ServiceDefaults.IPartlyHandled
{
    public int ItemsNotHandled => events;
}

/// <summary>Writing a batch failed; says why (the database's error code and message) without the events themselves.</summary>
public sealed class RecordingFailedException(Exception inner)
    : Exception($"Storing the batch failed: {Describe(inner)}")
{
    private static string Describe(Exception e) => (e as PostgresException ?? e.InnerException as PostgresException) is { } pg
        ? $"{pg.SqlState} {pg.MessageText}"
        : e.GetType().Name;
}
