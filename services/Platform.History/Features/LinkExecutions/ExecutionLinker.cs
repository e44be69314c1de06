using JasperFx.Events;
using Marten;
using Microsoft.Extensions.Options;
using Platform.Contracts.History;
using Platform.History.Features.RecordEcsEvents;
using Platform.History.Features.TrackRuns;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Aws;
using Refit;

namespace Platform.History.Features.LinkExecutions;

/// <summary>
/// Ties Step Functions executions to the ECS tasks they ran. When an execution has ended, its history is read once
/// (GetExecutionHistory) and stored as <see cref="ExecutionLinked"/>: the outcome publisher then tells its failure once,
/// naming the state, or its success with the attempts that failed first. A failed task started by Step Functions is
/// held (<see cref="HeldAttempt"/>) until an execution claims it; one that none claims, because none was open when it
/// stopped or none that ended named it, is released to be alerted as a task. One instance links (an advisory lock);
/// each round is one commit.
/// </summary>
public sealed partial class ExecutionLinker(
    IDocumentStore store, IServiceProvider services, IOptions<AwsOptions> aws, IOptions<HistoryOptions> options, TimeProvider clock,
    ILogger<ExecutionLinker> logger)
    : LeaderLoop(clock, logger)
{
    /// <summary>An execution whose history could not be read this many times is told without it.</summary>
    public const int MaxFailedReads = 5;

    protected override string ConnectionString => options.Value.ConnectionString!;

    protected override string LeaseKey => "platform-link-executions:" + options.Value.Schema;

    protected override TimeSpan Interval => options.Value.ExecutionLinkInterval;

    protected override Task RunOnceAsync(CancellationToken ct) => LinkAsync(ct);

    public async Task LinkAsync(CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var open = await session.Query<OpenExecution>().ToListAsync(ct);
        var held = await session.Query<HeldAttempt>().Take(500).ToListAsync(ct);
        if (open.Count == 0 && held.Count == 0)
            return;
        var claimed = new Dictionary<string, ExecutionOfTask>();
        var done = new HashSet<string>();
        foreach (var execution in open.Where(o => o.EndedAt is not null).Take(20))
        {
            if (await LinkOneAsync(session, execution, ct) is not { } attempts)
                continue;
            done.Add(execution.Id);
            foreach (var attempt in attempts)
                claimed[attempt.TaskArn] = new ExecutionOfTask(attempt.TaskArn, execution.Id, attempt.State);
        }
        session.Store(claimed.Values.ToArray());
        var known = await SettleHeldAsync(session, held, open.Where(o => !done.Contains(o.Id)).ToList(), claimed, ct);
        await MarkAttemptsAsync(session, claimed.Values.Concat(known), ct);
        await session.SaveChangesAsync(ct);
    }

    /// <summary>Each task run an execution claimed shows which execution it was an attempt of (a task whose events come later is marked when they do).</summary>
    private static async Task MarkAttemptsAsync(IDocumentSession session, IEnumerable<ExecutionOfTask> attempts, CancellationToken ct)
    {
        var byTask = attempts.DistinctBy(a => a.Id).ToDictionary(a => a.Id);
        if (byTask.Count == 0)
            return;
        foreach (var run in await session.LoadManyAsync<Run>(ct, byTask.Keys.ToList()))
            if (run.ExecutionArn is null)
                session.Store(run with { ExecutionArn = byTask[run.Id].ExecutionArn });
    }

    /// <summary>Reads one ended execution's history and stores what it says; null when it is to be read again later.</summary>
    private async Task<IReadOnlyList<ExecutionAttempt>?> LinkOneAsync(IDocumentSession session, OpenExecution execution, CancellationToken ct)
    {
        var run = await session.LoadAsync<Run>(execution.Id, ct);
        if (run is null || run.Linked)
        {
            session.Delete(execution);
            return [];
        }
        // Linked before, but the run was written since from a copy loaded before that (the recorder storing a late
        // duplicate of the execution's event): restore what the stored link says instead of linking twice.
        var stream = await session.Events.FetchStreamAsync(execution.Id, token: ct);
        if (stream.Select(e => e.Data).OfType<ExecutionLinked>().FirstOrDefault() is { } earlier)
        {
            session.Store(RunProjection.Next(run, earlier)!);
            session.Delete(execution);
            return earlier.Outcome.Attempts ?? [];
        }
        // Told without its history when it cannot be read (no Aws:Region: no Step Functions to ask; or it failed too
        // often): the execution's own error and cause are known from its event.
        var unread = new ExecutionOutcome(execution.Id, execution.StateMachineArn, null, null, run.Reason, null, 0, HistoryRead: false);
        ExecutionOutcome outcome;
        if (aws.Value.Region is null)
        {
            LogReadFailed(execution.Id, 1, "Aws:Region is not set, so the execution's history cannot be read");
            outcome = unread;
        }
        else
        {
            try
            {
                outcome = ExecutionHistoryReader.Read(execution.Id, execution.StateMachineArn, await ReadHistoryAsync(execution.Id, ct));
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                var failedReads = execution.FailedReads + 1;
                LogReadFailed(execution.Id, failedReads, e is ApiException api ? Platform.ServiceDefaults.Aws.AwsApiErrors.Describe(api) : e.Message);
                if (failedReads < MaxFailedReads)
                {
                    session.Store(execution with { FailedReads = failedReads });
                    return null;
                }
                outcome = unread;
            }
        }
        // Anyone with the ingest key can post an execution's "end": AWS's own history decides how it ended. One that
        // has not ended there is read again in a later round.
        if (outcome is { HistoryRead: true, Status: null })
            return null;
        var succeeded = outcome.HistoryRead ? outcome.Status == "SUCCEEDED" : run.Status == RunStatus.Succeeded;
        if (outcome.HistoryRead && succeeded != (run.Status == RunStatus.Succeeded))
            LogEndDisagrees(execution.Id, run.LastStatus ?? "", outcome.Status!);
        var linked = new ExecutionLinked(run.Job, succeeded, outcome);
        session.Events.AppendWithId(execution.Id, linked, DeterministicId.ForExecutionLinked(execution.Id));
        session.Store(RunProjection.Next(run, linked)!);
        session.Delete(execution);
        return outcome.Attempts ?? [];
    }

    private async Task<IReadOnlyList<HistoryEvent>> ReadHistoryAsync(string executionArn, CancellationToken ct)
    {
        // Resolved when first needed: its endpoint is built from Aws:Region, which a history that never sees an
        // execution need not have.
        var stepFunctions = services.GetRequiredService<IStepFunctionsApi>();
        var events = new List<HistoryEvent>();
        string? next = null;
        // Ten pages of a thousand events: far more than a scheduled job's execution writes.
        for (var page = 0; page < 10; page++)
        {
            var response = await stepFunctions.GetExecutionHistoryAsync(new GetExecutionHistoryRequest(executionArn, NextToken: next), ct);
            events.AddRange(response.Events ?? []);
            if ((next = response.NextToken) is null)
                break;
        }
        return events;
    }

    /// <summary>
    /// A held task failure is an attempt when an execution claimed it (now or before); it is released, to be alerted on
    /// its own, once no execution that could have run it is still unread — or once it waited
    /// <see cref="HistoryOptions.AttemptHoldLimit"/>, so an execution whose end never arrives hides nothing for long.
    /// </summary>
    /// <returns>The held attempts claimed by executions linked before.</returns>
    private async Task<IReadOnlyList<ExecutionOfTask>> SettleHeldAsync(IDocumentSession session, IReadOnlyList<HeldAttempt> held, List<OpenExecution> unread,
        Dictionary<string, ExecutionOfTask> claimed, CancellationToken ct)
    {
        if (held.Count == 0)
            return [];
        var earlier = held.Select(h => h.Id).Where(id => !claimed.ContainsKey(id)).ToList();
        var knownClaims = earlier.Count == 0 ? [] : (await session.LoadManyAsync<ExecutionOfTask>(ct, earlier)).ToList();
        var known = knownClaims.Select(c => c.Id).ToHashSet();
        var now = Clock.GetUtcNow();
        foreach (var attempt in held)
        {
            if (claimed.ContainsKey(attempt.Id) || known.Contains(attempt.Id))
            {
                session.Delete(attempt);
                continue;
            }
            var waited = now - attempt.HeldSince;
            var couldBeIts = unread.Any(o => o.StartedAt <= attempt.StoppedAt);
            if (waited < options.Value.AttemptGrace || (couldBeIts && waited < options.Value.AttemptHoldLimit))
                continue;
            session.Events.AppendWithId(attempt.Id, new AttemptReleased(attempt.Id, attempt.Job), DeterministicId.ForAttemptReleased(attempt.Id));
            session.Delete(attempt);
        }
        return knownClaims;
    }

    [LoggerMessage(LogLevel.Warning, "Execution {Execution}'s event said {Said}, its history says {Status}: told as its history says")]
    private partial void LogEndDisagrees(string execution, string said, string status);

    [LoggerMessage(LogLevel.Warning, "Reading the history of execution {Execution} failed ({FailedReads} time(s)): {Reason}")]
    private partial void LogReadFailed(string execution, int failedReads, string reason);
}
