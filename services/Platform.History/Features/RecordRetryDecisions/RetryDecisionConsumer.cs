using Marten;
using MassTransit;
using Npgsql;
using Platform.Contracts.Retry;
using Platform.History.Features.RecordEcsEvents;
using Platform.ServiceDefaults.Configuration;

namespace Platform.History.Features.RecordRetryDecisions;

/// <summary>
/// Stores each retry decision once: its event id is derived from the decision (chain and attempt, or the stopped
/// task), so a redelivery is refused by the store's unique index and ignored. Decisions of one chain that arrive
/// together (an outbox drained after a crash publishes them at once) conflict on the stream's version; the one that
/// lost is retried, never taken for a duplicate.
/// </summary>
public sealed class RetryDecisionConsumer(IDocumentStore store, TimeProvider clock) :
    IConsumer<RelaunchScheduled>, IConsumer<TaskRelaunched>, IConsumer<RelaunchFailed>, IConsumer<RetriesExhausted>, IConsumer<RunTimedOut>
{
    public Task Consume(ConsumeContext<RelaunchScheduled> context)
    {
        var m = context.Message;
        return RecordAsync("retry:" + m.Chain, new RetryDecisionRecorded(m.Job, "relaunch-scheduled", m.Chain, m.Attempt, m.MaxAttempts, Now(context),
            null, $"attempt {m.Attempt} of {m.MaxAttempts} at {m.DueAt:O}, after {m.Reason}"), context.CancellationToken);
    }

    public Task Consume(ConsumeContext<TaskRelaunched> context)
    {
        var m = context.Message;
        return RecordAsync("retry:" + m.Chain, new RetryDecisionRecorded(m.Job, "relaunched", m.Chain, m.Attempt, m.MaxAttempts, Now(context),
            m.TaskArn, $"attempt {m.Attempt} of {m.MaxAttempts} started"), context.CancellationToken);
    }

    public Task Consume(ConsumeContext<RelaunchFailed> context)
    {
        var m = context.Message;
        return RecordAsync("retry:" + m.Chain, new RetryDecisionRecorded(m.Job, "relaunch-refused", m.Chain, m.Attempt, null, Now(context),
            null, m.Error), context.CancellationToken);
    }

    public Task Consume(ConsumeContext<RetriesExhausted> context)
    {
        var m = context.Message;
        return RecordAsync("retry:" + m.Chain, new RetryDecisionRecorded(m.Job, "retries-exhausted", m.Chain, m.Attempts, m.Attempts, Now(context),
            null, $"gave up after {m.Attempts} attempts; last: {m.LastReason}"), context.CancellationToken);
    }

    public Task Consume(ConsumeContext<RunTimedOut> context)
    {
        var m = context.Message;
        return RecordAsync("timeout:" + m.TaskArn, new RetryDecisionRecorded(m.Job, "timed-out", null, null, null, m.StoppedAt,
            m.TaskArn, $"stopped after {DurationText.Format(m.Timeout)}"), context.CancellationToken);
    }

    private DateTimeOffset Now(ConsumeContext context) => context.SentTime is { } sent ? new DateTimeOffset(sent, TimeSpan.Zero) : clock.GetUtcNow();

    private async Task RecordAsync(string stream, RetryDecisionRecorded decision, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var e = session.Events.AppendWithId(stream, decision, DeterministicId.ForRetryDecision($"{stream}/{decision.Decision}/{decision.Attempt}"));
        session.Store(new RetryDecision(e.Id, decision.Job, decision.At, decision));
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (Exception error) when (IsUniqueViolation(error))
        {
            // Either this decision was recorded before (a redelivery: done), or another decision of the same chain was
            // appended at the same moment and took the stream's next version: then this one is not stored yet, and
            // the endpoint's retry appends it after the other.
            await using var query = store.QuerySession();
            if (await query.LoadAsync<RetryDecision>(e.Id, ct) is null)
                throw;
        }
    }

    private static bool IsUniqueViolation(Exception e) =>
        (e as PostgresException ?? e.InnerException as PostgresException)?.SqlState == PostgresErrorCodes.UniqueViolation;
}
