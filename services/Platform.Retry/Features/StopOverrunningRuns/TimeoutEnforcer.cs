using Marten;
using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts.Retry;
using Platform.Retry.Features.CallEcs;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Configuration;
using Refit;

namespace Platform.Retry.Features.StopOverrunningRuns;

/// <summary>
/// Stops runs still running past their deadline, whoever launched them. At a deadline ECS is asked first (one
/// DescribeTasks per cluster for up to 100 tasks), so a run that ended in time costs no StopTask. One instance does
/// this (a PostgreSQL advisory lock); watches are durable, so a restart misses no deadline.
/// </summary>
public sealed partial class TimeoutEnforcer(
    IRetryStore store, IEcsApi ecs, IBus bus, IOptions<RetryOptions> options, TimeProvider clock, ILogger<TimeoutEnforcer> logger)
    : LeaderLoop(clock, logger)
{
    protected override string ConnectionString => options.Value.ConnectionString!;

    protected override string LeaseKey => "platform-timeout-enforcer:" + options.Value.Schema;

    protected override TimeSpan Interval => options.Value.PollInterval;

    protected override Task RunOnceAsync(CancellationToken ct) => StopOverrunningAsync(ct);

    private async Task StopOverrunningAsync(CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var now = Clock.GetUtcNow();
        var due = await session.Query<TimeoutWatch>().Where(w => w.Status == WatchStatus.Watching && w.Deadline <= now)
            .OrderBy(w => w.Deadline).Take(500).ToListAsync(ct);
        foreach (var cluster in due.GroupBy(w => w.Cluster))
        foreach (var chunk in cluster.Chunk(100))
        {
            DescribeTasksResponse described;
            try
            {
                described = await ecs.DescribeTasksAsync(new DescribeTasksRequest(cluster.Key, chunk.Select(w => w.Id).ToList()), ct);
            }
            catch (ApiException e) when ((int)e.StatusCode is >= 400 and < 500)
            {
                // A cluster that is gone, or access that was taken away: these watches can never be served.
                LogGivenUp(chunk.Length, cluster.Key, EcsApiErrors.Describe(e));
                session.Store(chunk.Select(w => w with { Status = WatchStatus.Finished }).ToArray());
                continue;
            }
            var running = (described.Tasks ?? []).Where(t => t.LastStatus != "STOPPED" && t.DesiredStatus != "STOPPED")
                .Select(t => t.TaskArn).ToHashSet();
            foreach (var watch in chunk)
            {
                if (!running.Contains(watch.Id))
                {
                    // Stopped in time, already stopping, or so long gone that ECS no longer knows it (MISSING).
                    session.Store(watch with { Status = WatchStatus.Finished });
                    continue;
                }
                var reason = $"{RunTimedOut.StopReasonPrefix} of {DurationText.Format(watch.Timeout)}";
                try
                {
                    await ecs.StopTaskAsync(new StopTaskRequest(watch.Cluster, watch.Id, reason), ct);
                }
                catch (ApiException e) when ((int)e.StatusCode is >= 400 and < 500)
                {
                    // Stopped meanwhile, or not ours to stop: retrying would only fail again.
                    LogGivenUp(1, watch.Cluster, EcsApiErrors.Describe(e));
                    session.Store(watch with { Status = WatchStatus.Finished });
                    continue;
                }
                session.Store(watch with { Status = WatchStatus.Stopped });
                await session.SaveChangesAsync(ct);
                LogStopped(watch.Job, watch.Id, reason);
                await bus.Publish(new RunTimedOut(watch.Id, watch.Job, watch.Cluster, watch.Id, watch.Timeout, Clock.GetUtcNow(), reason), ct);
            }
            await session.SaveChangesAsync(ct);
        }
    }

    [LoggerMessage(LogLevel.Information, "Stopped run {TaskArn} of {Job}: {Reason}")]
    private partial void LogStopped(string job, string taskArn, string reason);

    [LoggerMessage(LogLevel.Warning, "Gave up watching {Count} run(s) on cluster {Cluster}: ECS answered {Error}")]
    private partial void LogGivenUp(int count, string cluster, string error);
}
