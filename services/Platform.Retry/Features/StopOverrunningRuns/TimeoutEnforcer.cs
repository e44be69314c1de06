using Marten;
using Microsoft.Extensions.Options;
using Platform.Contracts.Retry;
using Platform.Retry.Features.CallAws;
using Platform.Retry.Features.PublishDecisions;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Aws;
using Platform.ServiceDefaults.Configuration;
using Refit;

namespace Platform.Retry.Features.StopOverrunningRuns;

/// <summary>
/// Stops runs still running past their deadline, whoever launched them. At a deadline ECS is asked first (one
/// DescribeTasks per cluster for up to 100 tasks), and only what ECS itself shows is acted on: a task that is still
/// running, in the watched cluster, of the job's task definition family (or its monitor's match), created (by ECS's
/// clock) longer ago than the timeout. A run that ended in time costs no StopTask. One instance does this (a
/// PostgreSQL advisory lock); watches are durable, so a restart misses no deadline.
/// </summary>
public sealed partial class TimeoutEnforcer(
    IRetryStore store, IEcsApi ecs, DecisionOutbox outbox, PlatformConfigSource config, IOptions<RetryOptions> options, TimeProvider clock,
    ILogger<TimeoutEnforcer> logger)
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
                LogGivenUp(chunk.Length, cluster.Key, AwsApiErrors.Describe(e));
                session.Store(chunk.Select(w => w with { Status = WatchStatus.Finished }).ToArray());
                continue;
            }
            var running = (described.Tasks ?? []).Where(t => t.LastStatus != "STOPPED" && t.DesiredStatus != "STOPPED")
                .ToDictionary(t => t.TaskArn);
            foreach (var watch in chunk)
            {
                if (!running.TryGetValue(watch.Id, out var task))
                {
                    // Stopped in time, already stopping, or so long gone that ECS no longer knows it (MISSING).
                    session.Store(watch with { Status = WatchStatus.Finished });
                    continue;
                }
                if (NotTheJobs(watch, task) is { } why)
                {
                    LogNotStopped(watch.Id, watch.Job, why);
                    session.Store(watch with { Status = WatchStatus.Finished });
                    continue;
                }
                if (task.CreatedAt!.Value + watch.Timeout is var deadline && deadline > now)
                {
                    // The event's createdAt was earlier than ECS's: ECS's clock decides.
                    session.Store(watch with { Deadline = deadline });
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
                    LogGivenUp(1, watch.Cluster, AwsApiErrors.Describe(e));
                    session.Store(watch with { Status = WatchStatus.Finished });
                    continue;
                }
                session.Store(watch with { Status = WatchStatus.Stopped });
                var timedOut = outbox.Add(session, new RunTimedOut(watch.Id, watch.Job, watch.Cluster, watch.Id, watch.Timeout, Clock.GetUtcNow(), reason),
                    "timed-out", watch.Id);
                await session.SaveChangesAsync(ct);
                LogStopped(watch.Job, watch.Id, reason);
                await outbox.PublishAsync([timedOut], ct);
            }
            await session.SaveChangesAsync(ct);
        }
    }

    /// <summary>Why ECS's description of the task does not make it this job's overdue run, or null when it does.</summary>
    private string? NotTheJobs(TimeoutWatch watch, EcsTask task)
    {
        var cluster = task.ClusterArn is { } arn ? EcsNames.Cluster(arn) : null;
        if (cluster != EcsNames.Cluster(watch.Cluster) || !config.Current.Watches(cluster))
            return $"ECS shows it in cluster {cluster ?? "(none)"}";
        var family = task.TaskDefinitionArn is { } definition ? EcsNames.Family(definition) : null;
        if (family is null || config.Current.JobFor(family, cluster) != watch.Job)
            return $"ECS shows it of task definition family {family ?? "(none)"}, which is not job {watch.Job}";
        return task.CreatedAt is null ? "ECS shows no createdAt for it" : null;
    }

    [LoggerMessage(LogLevel.Warning, "Not stopping task {TaskArn} for job {Job}: {Why}")]
    private partial void LogNotStopped(string taskArn, string job, string why);

    [LoggerMessage(LogLevel.Information, "Stopped run {TaskArn} of {Job}: {Reason}")]
    private partial void LogStopped(string job, string taskArn, string reason);

    [LoggerMessage(LogLevel.Warning, "Gave up watching {Count} run(s) on cluster {Cluster}: ECS answered {Error}")]
    private partial void LogGivenUp(int count, string cluster, string error);
}
