using Platform.ServiceDefaults.Aws;
using Marten;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults;
using Platform.Contracts.Retry;
using Platform.Retry.Features.CallAws;
using Platform.Retry.Features.PublishDecisions;
using Refit;

namespace Platform.Retry.Features.RetryFailures;

/// <summary>
/// Runs due relaunches: once AWS confirmed what they replay (<see cref="RelaunchVerifier"/>), RunTask with the complete
/// recorded request. One instance runs them (a PostgreSQL advisory lock); a restart resumes pending ones at their due
/// time. A relaunch whose RunTask returns failures is a failed attempt of its chain, handled here from ECS's answer.
/// </summary>
public sealed partial class RelaunchScheduler(
    IRetryStore store, IEcsApi ecs, RelaunchVerifier verifier, RelaunchPlanner planner, DecisionOutbox outbox, IOptions<RetryOptions> options,
    TimeProvider clock, ILogger<RelaunchScheduler> logger) : LeaderLoop(clock, logger)
{
    protected override string ConnectionString => options.Value.ConnectionString!;

    protected override string LeaseKey => "platform-retry-scheduler:" + options.Value.Schema;

    protected override TimeSpan Interval => options.Value.PollInterval;

    /// <summary>How long a stored decision's message may wait for its own publisher before the leader publishes it.</summary>
    private static readonly TimeSpan OutboxSettled = TimeSpan.FromSeconds(5);

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        await outbox.DrainAsync(OutboxSettled, ct);
        await RunDueAsync(ct);
    }

    private async Task RunDueAsync(CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var now = Clock.GetUtcNow();
        var due = await session.Query<Relaunch>().Where(r => r.Status == RelaunchStatus.Pending && r.DueAt <= now)
            .OrderBy(r => r.DueAt).Take(50).ToListAsync(ct);
        foreach (var pending in due)
        {
            var relaunch = pending;
            if (relaunch.NeedsCheck)
            {
                var verdict = await VerifyAsync(relaunch, ct);
                switch (verdict)
                {
                    case Verdict.NotYet notYet:
                        session.Store(relaunch with { DueAt = notYet.Next });
                        await session.SaveChangesAsync(ct);
                        continue;
                    case Verdict.Refused refused:
                        await RefuseAsync(session, relaunch, refused.Why, ct);
                        continue;
                    case Verdict.Confirmed confirmed:
                        relaunch = confirmed.Relaunch;
                        break;
                }
            }

            RunTaskResponse response;
            try
            {
                response = await ecs.RunTaskAsync(relaunch.Request!, ct);
            }
            catch (ApiException e)
            {
                await RefuseAsync(session, relaunch, AwsApiErrors.Describe(e), ct);
                continue;
            }

            if (response.Tasks is [var task, ..])
            {
                session.Store(relaunch with { Status = RelaunchStatus.Launched, TaskArn = task.TaskArn });
                var relaunched = outbox.Add(session, new TaskRelaunched(relaunch.Chain, relaunch.Job, relaunch.Cluster, relaunch.Attempt, relaunch.MaxAttempts,
                    task.TaskArn), "relaunched", relaunch.Id);
                await session.SaveChangesAsync(ct);
                await outbox.PublishAsync([relaunched], ct);
                continue;
            }

            var reason = response.Failures is [var failure, ..] ? failure.Reason ?? "UNKNOWN" : "UNKNOWN";
            session.Store(relaunch with { Status = RelaunchStatus.LaunchFailed, Error = reason });
            await session.SaveChangesAsync(ct);
            await planner.OnRelaunchFailedToLaunchAsync(relaunch, reason, ct);
        }
    }

    private async Task<Verdict> VerifyAsync(Relaunch relaunch, CancellationToken ct)
    {
        try
        {
            return await verifier.VerifyAsync(relaunch, ct);
        }
        catch (ApiException e) when ((int)e.StatusCode is >= 400 and < 500)
        {
            // No permission to look (cloudtrail:LookupEvents, ecs:DescribeTasks), or a bad request: never act unconfirmed.
            return new Verdict.Refused($"AWS could not confirm it: {AwsApiErrors.Describe(e)}");
        }
    }

    private async Task RefuseAsync(IDocumentSession session, Relaunch relaunch, string error, CancellationToken ct)
    {
        LogRefused(relaunch.Job, relaunch.Chain, relaunch.Attempt, error);
        session.Store(relaunch with { Status = RelaunchStatus.Refused, Error = error });
        var refused = outbox.Add(session, new RelaunchFailed(relaunch.Chain, relaunch.Job, relaunch.Cluster, relaunch.Attempt, error), "refused", relaunch.Id);
        await session.SaveChangesAsync(ct);
        await outbox.PublishAsync([refused], ct);
    }

    [LoggerMessage(LogLevel.Warning, "Refused to relaunch {Job} (chain {Chain}, attempt {Attempt}): {Error}")]
    private partial void LogRefused(string job, string chain, int attempt, string error);
}
