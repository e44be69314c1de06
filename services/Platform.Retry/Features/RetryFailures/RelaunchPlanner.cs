using System.Text.Json.Nodes;
using JasperFx;
using Marten;
using Platform.Contracts.History;
using Platform.Contracts.Retry;
using Platform.Retry.Features.PublishDecisions;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Aws;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Retry.Features.RetryFailures;

/// <summary>
/// Decides what follows a failed launch attempt or a failed run: the next attempt of its chain, stored with its due
/// time, or the end of the chain. Idempotent per chain and attempt, and bounded by the job's <c>maxAttempts</c>, so
/// nothing can loop. What an event claims only starts the decision: the request replayed is the one CloudTrail
/// recorded (or our own), and AWS confirms it when the attempt is due (<see cref="RelaunchVerifier"/>).
/// </summary>
public sealed partial class RelaunchPlanner(IRetryStore store, PlatformConfigSource config, TimeProvider clock, DecisionOutbox outbox, ILogger<RelaunchPlanner> logger)
{
    public async Task OnLaunchFailedAsync(LaunchFailed failed, CancellationToken ct)
    {
        // Our own relaunches' failures are handled from RunTask's answer (RelaunchScheduler); CloudTrail's later
        // record of the same call, or an event that merely claims our marker, starts nothing.
        if (failed.Replayed || RelaunchMarker.TryParse(failed.StartedBy, out _, out _) || !Allowed(failed.Job, failed.Cluster))
            return;
        var policy = config.Current.LaunchRetryFor(failed.Job);
        if (!policy.Covers(failed.Reason))
            return;
        var chain = RelaunchMarker.NewChain(failed.RunId);
        if (TooOld(failed.Time, policy) is { } old)
        {
            await RefuseAsync(chain, 2, failed.Job, failed.Cluster, failed.Reason, old, ct);
            return;
        }
        if (failed.CloudTrailEventId is not { Length: > 0 } recordId)
        {
            await RefuseAsync(chain, 2, failed.Job, failed.Cluster, failed.Reason,
                "the event carries no CloudTrail eventID, so the request to replay cannot be checked with CloudTrail", ct);
            return;
        }
        await PlanAsync(new Relaunch
        {
            Id = "", Chain = chain, Attempt = 1, MaxAttempts = policy.MaxAttempts, Job = failed.Job, Cluster = failed.Cluster, DueAt = default,
            Reason = failed.Reason, RecordEventId = recordId, Family = EcsNames.Family(failed.TaskDefinition), FailedAt = failed.Time,
            MaxAge = policy.MaxAge,
        }, policy, ct);
    }

    /// <summary>
    /// A run that failed is retried only when its job opted in for its failure kind, and only with the request that
    /// launched it: ours for a relaunch, else CloudTrail's record of the RunTask. Without one it is not retried (a
    /// task rebuilt from its description would lack its network configuration), and RelaunchFailed says why.
    /// </summary>
    public async Task OnRunFailedAsync(RunFailed failed, CancellationToken ct)
    {
        var kind = failed.Kind.Name();
        if (failed.Replayed || !Allowed(failed.Job, failed.Cluster))
            return;
        if (config.Current.MonitorFor(failed.Job)?.FailureRetry is not { } policy || !policy.Covers(kind))
            return;
        var (chain, attempt) = RelaunchMarker.ChainOf(failed.RunId, failed.StartedBy);
        var reason = $"{kind}: {failed.Reason}";
        var failedAt = failed.StoppedAt ?? clock.GetUtcNow();
        if (TooOld(failedAt, policy) is { } old)
        {
            await RefuseAsync(chain, attempt + 1, failed.Job, failed.Cluster, reason, old, ct);
            return;
        }
        var next = new Relaunch
        {
            Id = "", Chain = chain, Attempt = attempt, MaxAttempts = policy.MaxAttempts, Job = failed.Job, Cluster = failed.Cluster, DueAt = default,
            Reason = reason, Family = EcsNames.Family(failed.TaskDefinitionArn), FailedTaskArn = failed.TaskArn, FailedAt = failedAt,
            MaxAge = policy.MaxAge,
        };
        if (attempt > 1)
        {
            // A run of our own relaunch: only the task that relaunch started continues the chain, with our stored request.
            Relaunch? ours;
            await using (var query = store.QuerySession())
                ours = await query.LoadAsync<Relaunch>(Relaunch.IdFor(chain, attempt), ct);
            if (ours is not { Status: RelaunchStatus.Launched, Request: { } request } || ours.TaskArn != failed.TaskArn)
            {
                LogNotOurs(failed.TaskArn, failed.StartedBy);
                return;
            }
            await PlanAsync(next with { Request = request }, policy, ct);
            return;
        }
        if (failed.LaunchRequestEventId is not { Length: > 0 } recordId)
        {
            await RefuseAsync(chain, attempt + 1, failed.Job, failed.Cluster, reason,
                "the RunTask request that started this run was not recorded (route CloudTrail's RunTask events to ingest to retry failed runs)", ct);
            return;
        }
        await PlanAsync(next with { RecordEventId = recordId }, policy, ct);
    }

    /// <summary>Our relaunch's RunTask answered with failures: the chain goes on with our own request.</summary>
    public Task OnRelaunchFailedToLaunchAsync(Relaunch failed, string reason, CancellationToken ct)
    {
        var policy = config.Current.LaunchRetryFor(failed.Job);
        if (!policy.Covers(reason))
            return Task.CompletedTask;
        return PlanAsync(failed with { Reason = reason, FailedTaskArn = null, FailedAt = clock.GetUtcNow(), MaxAge = policy.MaxAge }, policy, ct);
    }

    /// <summary>Stores the attempt after <paramref name="failed"/> (its chain and attempt), or ends the chain.</summary>
    private async Task PlanAsync(Relaunch failed, RetryPolicyConfig policy, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        if (failed.Attempt >= policy.MaxAttempts)
        {
            session.Insert(new ChainExhausted(failed.Chain, failed.Job, failed.Attempt, failed.Reason));
            var exhausted = outbox.Add(session, new RetriesExhausted(failed.Chain, failed.Job, failed.Cluster, failed.Attempt, failed.Reason),
                "exhausted", failed.Chain);
            if (await TrySaveAsync(session, ct))
                await outbox.PublishAsync([exhausted], ct);
            return;
        }

        var next = failed.Attempt + 1;
        var now = clock.GetUtcNow();
        var relaunch = failed with
        {
            Id = Relaunch.IdFor(failed.Chain, next), Attempt = next, MaxAttempts = policy.MaxAttempts, DueAt = now + policy.DelayBefore(next),
            PlannedAt = now, Request = failed.Request is { } request ? RelaunchRequest.For(request, failed.Chain, next) : null,
            Status = RelaunchStatus.Pending, TaskArn = null, Error = null, FailureConfirmed = false,
        };
        session.Insert(relaunch);
        var scheduled = outbox.Add(session, new RelaunchScheduled(failed.Chain, failed.Job, failed.Cluster, next, policy.MaxAttempts, relaunch.DueAt, failed.Reason),
            "scheduled", relaunch.Id);
        if (await TrySaveAsync(session, ct))
            await outbox.PublishAsync([scheduled], ct);
    }

    private async Task RefuseAsync(string chain, int attempt, string job, string cluster, string reason, string error, CancellationToken ct)
    {
        LogRefused(job, chain, error);
        await using var session = store.LightweightSession();
        session.Insert(new Relaunch
        {
            Id = Relaunch.IdFor(chain, attempt), Chain = chain, Attempt = attempt, MaxAttempts = attempt, Job = job, Cluster = cluster,
            DueAt = clock.GetUtcNow(), Reason = reason, Status = RelaunchStatus.Refused, Error = error,
        });
        var refused = outbox.Add(session, new RelaunchFailed(chain, job, cluster, attempt, error), "refused", Relaunch.IdFor(chain, attempt));
        if (await TrySaveAsync(session, ct))
            await outbox.PublishAsync([refused], ct);
    }

    private bool Allowed(string job, string cluster)
    {
        if (config.Current.Watches(cluster))
            return true;
        LogOtherCluster(job, cluster);
        return false;
    }

    private string? TooOld(DateTimeOffset failedAt, RetryPolicyConfig policy) =>
        clock.GetUtcNow() - failedAt > policy.MaxAge
            ? $"the failure at {failedAt:u} is older than the job's retry maxAge ({DurationText.Format(policy.MaxAge)}): nothing that old is relaunched"
            : null;

    private static async Task<bool> TrySaveAsync(IDocumentSession session, CancellationToken ct)
    {
        try
        {
            await session.SaveChangesAsync(ct);
            return true;
        }
        catch (DocumentAlreadyExistsException)
        {
            return false; // this failure was handled before
        }
    }

    [LoggerMessage(LogLevel.Warning, "Not relaunching {Job} (chain {Chain}): {Error}")]
    private partial void LogRefused(string job, string chain, string error);

    [LoggerMessage(LogLevel.Warning, "Ignored a failed run of task {TaskArn} that claims our relaunch marker {StartedBy}: no relaunch of ours started that task")]
    private partial void LogNotOurs(string taskArn, string? startedBy);

    [LoggerMessage(LogLevel.Information, "Not acting on {Job}: cluster {Cluster} is not among the platform file's clusters")]
    private partial void LogOtherCluster(string job, string cluster);
}

/// <summary>The request a relaunch sends: the recorded one whole, with our marker and an idempotency token.</summary>
public static class RelaunchRequest
{
    public static JsonObject For(JsonObject recorded, string chain, int attempt)
    {
        var request = (JsonObject)recorded.DeepClone();
        request["startedBy"] = RelaunchMarker.Format(chain, attempt);
        // ECS starts at most one task per client token: a RunTask retried after a lost answer cannot start two.
        request["clientToken"] = $"{chain}-{attempt}";
        return request;
    }
}
