using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.ServiceDefaults;

/// <summary>
/// <c>Heartbeat</c>: a URL (Healthchecks.io style) the service calls every <see cref="Interval"/> while it is healthy,
/// so that a platform that died, or cannot reach anything, is noticed outside it too.
/// </summary>
public sealed class HeartbeatOptions : IPlatformOptions, IValidatableObject
{
    public static string SectionName => "Heartbeat";

    /// <summary>Called with GET while healthy (Degraded counts: the service works, and says why on /health), <c>{Url}/fail</c> while unhealthy.</summary>
    public Uri? Url { get; set; }

    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Url is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("https" or "http")))
            yield return new ValidationResult("Heartbeat:Url must be an http:// or https:// URL.", [nameof(Url)]);
        if (Interval < TimeSpan.FromMilliseconds(100) || Interval > TimeSpan.FromHours(1))
            yield return new ValidationResult("Heartbeat:Interval must be between 100 ms and 1 hour.", [nameof(Interval)]);
    }
}

/// <summary>Runs the service's health checks every interval and tells the heartbeat URL what they say.</summary>
public sealed partial class HeartbeatSender(HealthCheckService health, IHttpClientFactory http, IOptions<HeartbeatOptions> options,
    TimeProvider clock, ILogger<HeartbeatSender> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Url is not { } url)
            return;
        using var timer = new PeriodicTimer(options.Value.Interval, clock);
        do
        {
            var report = await health.CheckHealthAsync(stoppingToken);
            var target = report.Status == HealthStatus.Unhealthy ? new Uri(url.ToString().TrimEnd('/') + "/fail") : url;
            try
            {
                using var client = http.CreateClient(nameof(HeartbeatSender));
                client.Timeout = TimeSpan.FromSeconds(10);
                using var response = await client.GetAsync(target, stoppingToken);
                if (!response.IsSuccessStatusCode)
                    LogRefused((int)response.StatusCode);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                // The URL is a token: never in the log, only that the call failed.
                LogFailed(e.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }

    [LoggerMessage(LogLevel.Warning, "The heartbeat URL answered {Status}")]
    private partial void LogRefused(int status);

    [LoggerMessage(LogLevel.Warning, "Calling the heartbeat URL failed ({Reason})")]
    private partial void LogFailed(string reason);
}
