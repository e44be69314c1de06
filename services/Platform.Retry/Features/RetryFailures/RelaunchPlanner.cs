using System.Text.Json.Nodes;
using JasperFx;
using Marten;
using MassTransit;
using System.Text.Json;
using Platform.Contracts.History;
using Platform.Contracts.Retry;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Retry.Features.RetryFailures;

/// <summary>
/// Decides what follows a failed launch attempt or a failed run: the next attempt of its chain, stored with its due
/// time, or the end of the chain. Idempotent per chain and attempt, and bounded by the job's <c>maxAttempts</c>, so nothing can loop.
/// </summary>
public sealed class RelaunchPlanner(IRetryStore store, PlatformConfigSource config, TimeProvider clock, IBus bus)
{
    public Task OnLaunchFailedAsync(string runId, string job, string cluster, string? startedBy, string reason,
        JsonObject originalRequest, CancellationToken ct)
    {
        var policy = config.Current.LaunchRetryFor(job);
        if (!policy.Covers(reason))
            return Task.CompletedTask;
        var (chain, attempt) = RelaunchMarker.ChainOf(runId, startedBy);
        return PlanNextAsync(chain, attempt, job, cluster, policy, reason, originalRequest, ct);
    }

    /// <summary>
    /// A run that failed is retried only when its job opted in for its failure kind, and only with the request that
    /// launched it: ours for a relaunch, else CloudTrail's record of the RunTask. Without one it is not retried (a
    /// task rebuilt from its description would lack its network configuration), and RelaunchFailed says why.
    /// </summary>
    public async Task OnRunFailedAsync(RunFailed failed, CancellationToken ct)
    {
        var kind = failed.Kind.Name();
        if (config.Current.MonitorFor(failed.Job)?.FailureRetry is not { } policy || !policy.Covers(kind))
            return;
        var (chain, attempt) = RelaunchMarker.ChainOf(failed.RunId, failed.StartedBy);
        var reason = $"{kind}: {failed.Reason}";
        JsonObject? request;
        await using (var query = store.QuerySession())
            request = (await query.LoadAsync<Relaunch>(Relaunch.IdFor(chain, attempt), ct))?.Request;
        if (request is null && failed.LaunchRequest is { ValueKind: JsonValueKind.Object } recorded)
            request = JsonNode.Parse(recorded.GetRawText())!.AsObject();
        if (request is null)
        {
            await RefuseAsync(chain, attempt + 1, failed.Job, failed.Cluster, reason,
                "the RunTask request that started this run was not recorded (route CloudTrail's RunTask events to ingest to retry failed runs)", ct);
            return;
        }
        await PlanNextAsync(chain, attempt, failed.Job, failed.Cluster, policy, reason, request, ct);
    }

    private async Task PlanNextAsync(string chain, int attempt, string job, string cluster, RetryPolicyConfig policy, string reason,
        JsonObject originalRequest, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        if (attempt >= policy.MaxAttempts)
        {
            session.Insert(new ChainExhausted(chain, job, attempt, reason));
            if (await TrySaveAsync(session, ct))
                await bus.Publish(new RetriesExhausted(chain, job, cluster, attempt, reason), ct);
            return;
        }

        var next = attempt + 1;
        var request = (JsonObject)originalRequest.DeepClone();
        request["startedBy"] = RelaunchMarker.Format(chain, next);
        // ECS starts at most one task per client token: a RunTask retried after a lost answer cannot start two.
        request["clientToken"] = $"{chain}-{next}";
        var relaunch = new Relaunch
        {
            Id = Relaunch.IdFor(chain, next), Chain = chain, Attempt = next, MaxAttempts = policy.MaxAttempts, Job = job, Cluster = cluster,
            DueAt = clock.GetUtcNow() + policy.DelayBefore(next), Reason = reason, Request = request,
        };
        session.Insert(relaunch);
        if (await TrySaveAsync(session, ct))
            await bus.Publish(new RelaunchScheduled(chain, job, cluster, next, policy.MaxAttempts, relaunch.DueAt, reason), ct);
    }

    private async Task RefuseAsync(string chain, int attempt, string job, string cluster, string reason, string error, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        session.Insert(new Relaunch
        {
            Id = Relaunch.IdFor(chain, attempt), Chain = chain, Attempt = attempt, MaxAttempts = attempt, Job = job, Cluster = cluster,
            DueAt = clock.GetUtcNow(), Reason = reason, Request = [], Status = RelaunchStatus.Refused, Error = error,
        });
        if (await TrySaveAsync(session, ct))
            await bus.Publish(new RelaunchFailed(chain, job, cluster, attempt, error), ct);
    }

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
}
