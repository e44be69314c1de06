using Microsoft.Extensions.Options;
using Platform.EcsSamples;

namespace Platform.EcsSimulator;

/// <summary>Launches jobs that have <c>Every</c> on that schedule, as EventBridge Scheduler launches scheduled tasks.</summary>
public sealed class ScheduledLaunches(IOptions<SimulatorOptions> options, SimulatedEcs ecs, TimeProvider clock) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var scheduled = options.Value.Jobs.Where(j => j.Value.Every is { } every && every > TimeSpan.Zero).ToList();
        if (scheduled.Count == 0)
            return;
        var next = scheduled.ToDictionary(j => j.Key, _ => clock.GetUtcNow().AddSeconds(1));
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            foreach (var (family, job) in scheduled)
            {
                if (next[family] > now)
                    continue;
                next[family] = now + job.Every!.Value;
                var factory = new EcsEventFactory(options.Value.Account, options.Value.Region);
                ecs.RunTask(factory.RunTaskRequest(family, now));
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
