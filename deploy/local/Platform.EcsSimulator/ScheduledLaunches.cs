using Microsoft.Extensions.Options;
using Platform.EcsSamples;

namespace Platform.EcsSimulator;

/// <summary>Launches jobs that have <c>Every</c> on that schedule, as EventBridge Scheduler launches scheduled tasks.</summary>
public sealed class ScheduledLaunches(IOptions<SimulatorOptions> options, SimulatedEcs ecs, TimeProvider clock) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Every.RunAsync(options.Value.Jobs.Select(j => (j.Key, j.Value.Every)), family =>
            ecs.RunTask(new EcsEventFactory(options.Value.Account, options.Value.Region).RunTaskRequest(family, clock.GetUtcNow())), clock, stoppingToken);
}

/// <summary>What a schedule rule does in the simulator: starts each named thing every so often, the first a second after start.</summary>
public static class Every
{
    public static async Task RunAsync(IEnumerable<(string Name, TimeSpan? Every)> schedules, Action<string> start, TimeProvider clock, CancellationToken ct)
    {
        var scheduled = schedules.Where(s => s.Every is { } every && every > TimeSpan.Zero).Select(s => (s.Name, Every: s.Every!.Value)).ToList();
        if (scheduled.Count == 0)
            return;
        var next = scheduled.ToDictionary(s => s.Name, _ => clock.GetUtcNow().AddSeconds(1));
        while (!ct.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            foreach (var (name, every) in scheduled.Where(s => next[s.Name] <= now))
            {
                next[name] = now + every;
                start(name);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), clock, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
