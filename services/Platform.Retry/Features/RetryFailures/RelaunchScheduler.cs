using Marten;
using MassTransit;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults;
using Platform.Contracts.Retry;
using Platform.Retry.Features.CallEcs;
using Refit;

namespace Platform.Retry.Features.RetryFailures;

/// <summary>
/// Runs due relaunches: RunTask with the complete original request. One instance runs them (a PostgreSQL advisory
/// lock); a restart resumes pending ones at their due time. A relaunch whose RunTask returns failures is a failed
/// attempt of its chain, handled like any other (the CloudTrail record of the same call then finds it handled).
/// </summary>
public sealed partial class RelaunchScheduler(
    IRetryStore store, IEcsApi ecs, RelaunchPlanner planner, IBus bus, IOptions<RetryOptions> options, TimeProvider clock,
    ILogger<RelaunchScheduler> logger) : LeaderLoop(clock, logger)
{
    protected override string ConnectionString => options.Value.ConnectionString!;

    protected override string LeaseKey => "platform-retry-scheduler:" + options.Value.Schema;

    protected override TimeSpan Interval => options.Value.PollInterval;

    protected override Task RunOnceAsync(CancellationToken ct) => RunDueAsync(ct);

    private async Task RunDueAsync(CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var now = Clock.GetUtcNow();
        var due = await session.Query<Relaunch>().Where(r => r.Status == RelaunchStatus.Pending && r.DueAt <= now)
            .OrderBy(r => r.DueAt).Take(50).ToListAsync(ct);
        foreach (var relaunch in due)
        {
            RunTaskResponse response;
            try
            {
                response = await ecs.RunTaskAsync(relaunch.Request, ct);
            }
            catch (ApiException e)
            {
                var error = EcsApiErrors.Describe(e);
                session.Store(relaunch with { Status = RelaunchStatus.Refused, Error = error });
                await session.SaveChangesAsync(ct);
                await bus.Publish(new RelaunchFailed(relaunch.Chain, relaunch.Job, relaunch.Cluster, relaunch.Attempt, error), ct);
                continue;
            }

            if (response.Tasks is [var task, ..])
            {
                session.Store(relaunch with { Status = RelaunchStatus.Launched, TaskArn = task.TaskArn });
                await session.SaveChangesAsync(ct);
                await bus.Publish(new TaskRelaunched(relaunch.Chain, relaunch.Job, relaunch.Cluster, relaunch.Attempt, relaunch.MaxAttempts, task.TaskArn), ct);
                continue;
            }

            var reason = response.Failures is [var failure, ..] ? failure.Reason ?? "UNKNOWN" : "UNKNOWN";
            session.Store(relaunch with { Status = RelaunchStatus.LaunchFailed, Error = reason });
            await session.SaveChangesAsync(ct);
            await planner.OnLaunchFailedAsync(relaunch.Id, relaunch.Job, relaunch.Cluster, RelaunchMarker.Format(relaunch.Chain, relaunch.Attempt),
                reason, relaunch.Request, ct);
        }
    }



}
