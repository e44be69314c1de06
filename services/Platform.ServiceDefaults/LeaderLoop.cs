using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults;

/// <summary>
/// Work that one instance does at a time, every <see cref="Interval"/>: the holder of a <see cref="LeaderLease"/>.
/// The others wait to take over; a failed round is logged and tried again.
/// </summary>
public abstract partial class LeaderLoop(TimeProvider clock, ILogger logger) : BackgroundService
{
    protected TimeProvider Clock => clock;

    protected abstract string ConnectionString { get; }

    /// <summary>Names the lease: one holder per key (include the schema, so separate deployments do not share it).</summary>
    protected abstract string LeaseKey { get; }

    protected abstract TimeSpan Interval { get; }

    protected abstract Task RunOnceAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var lease = await LeaderLease.TryAcquireAsync(ConnectionString, LeaseKey, stoppingToken);
                while (lease is not null && !stoppingToken.IsCancellationRequested)
                {
                    // A lease connection that died alone (the server ended it) took the lock with it: stop, and ask again.
                    await LeaderLease.EnsureHeldAsync(lease, stoppingToken);
                    await RunOnceAsync(stoppingToken);
                    await Task.Delay(Interval, clock, stoppingToken);
                }
                if (lease is null)
                    await Task.Delay(TimeSpan.FromSeconds(5), clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogFailed(logger, GetType().Name, e);
                await Task.Delay(TimeSpan.FromSeconds(2), clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(LogLevel.Error, "{Work} failed; trying again")]
    private static partial void LogFailed(ILogger logger, string work, Exception e);
}
