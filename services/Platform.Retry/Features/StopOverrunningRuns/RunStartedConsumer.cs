using Marten;
using MassTransit;
using Platform.Contracts.History;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Retry.Features.StopOverrunningRuns;

/// <summary>
/// Watches each new run of a job that has a timeout. Idempotent: the watch's id is the task ARN. The deadline here is
/// only when to ask: ECS's own record of the task decides whether it is stopped (<see cref="TimeoutEnforcer"/>).
/// </summary>
public sealed class RunStartedConsumer(IRetryStore store, PlatformConfigSource config) : IConsumer<RunStarted>
{
    public async Task Consume(ConsumeContext<RunStarted> context)
    {
        var started = context.Message;
        // An import's runs are the past; a cluster outside the platform file's is not ours to stop tasks on.
        if (started.Replayed || !config.Current.Watches(started.Cluster) || config.Current.MonitorFor(started.Job)?.Timeout is not { } timeout)
            return;
        await using var session = store.LightweightSession();
        if (await session.LoadAsync<TimeoutWatch>(started.TaskArn, context.CancellationToken) is not null)
            return;
        session.Store(new TimeoutWatch
        {
            Id = started.TaskArn, Job = started.Job, Cluster = started.Cluster, Timeout = timeout, Deadline = started.CreatedAt + timeout,
        });
        await session.SaveChangesAsync(context.CancellationToken);
    }
}
