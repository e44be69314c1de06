using System.Text.Json.Nodes;
using JasperFx;
using Marten;
using MassTransit;
using Platform.Contracts.Retry;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Retry.Features.RelaunchFailedLaunches;

/// <summary>
/// Decides what follows a failed launch attempt: the next attempt of its chain, stored with its due time, or the end
/// of the chain. Idempotent per chain and attempt, and bounded by the job's <c>maxAttempts</c>, so nothing can loop.
/// </summary>
public sealed class RelaunchPlanner(IRetryStore store, PlatformConfigSource config, TimeProvider clock, IBus bus)
{
    public async Task OnLaunchFailedAsync(string runId, string job, string cluster, string? startedBy, string reason,
        JsonObject originalRequest, CancellationToken ct)
    {
        var policy = config.Current.LaunchRetryFor(job);
        if (!policy.Covers(reason))
            return;
        var (chain, attempt) = RelaunchMarker.TryParse(startedBy, out var c, out var a) ? (c, a) : (RelaunchMarker.NewChain(runId), 1);

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
