using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Platform.EcsSamples;
using Platform.Ingest;
using Platform.ServiceDefaults;

namespace Platform.AllInOne.Demo;

public static class DemoFeedExtensions
{
    public static IHostApplicationBuilder AddDemoFeed(this IHostApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue<bool>("Demo:Enabled"))
            builder.Services.AddHostedService<DemoFeed>();
        return builder;
    }
}

/// <summary>
/// Posts a small, realistic day of ECS events to this host's own ingest endpoint, then prints what history made of
/// them: the README's first command shows the platform working without AWS.
/// </summary>
public sealed partial class DemoFeed(IServer server, IHostApplicationLifetime lifetime, IOptions<IngestOptions> ingest,
    IConfiguration configuration, TimeProvider clock, ILogger<DemoFeed> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await WaitForStartAsync(stoppingToken))
            return;
        var address = server.Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1");
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        http.DefaultRequestHeaders.Add(ApiKeyEndpointFilter.HeaderName, ingest.Value.ApiKey);

        var events = Scenario(clock.GetUtcNow());
        var response = await http.PostAsync("/events", new StringContent(new JsonArray([.. events]).ToJsonString(), System.Text.Encoding.UTF8, "application/json"), stoppingToken);
        LogPosted(events.Count, (int)response.StatusCode, await response.Content.ReadAsStringAsync(stoppingToken));

        // The job summaries are an async projection: give the daemon a moment, then show them.
        await Task.Delay(TimeSpan.FromSeconds(3), stoppingToken);
        // History's API opens with the dashboard's key, not ingest's.
        http.DefaultRequestHeaders.Remove(ApiKeyEndpointFilter.HeaderName);
        http.DefaultRequestHeaders.Add(ApiKeyEndpointFilter.HeaderName, configuration["Dashboard:AccessKey"] ?? "");
        var jobs = await http.GetFromJsonAsync<JsonArray>("/jobs", stoppingToken);
        foreach (var job in jobs ?? [])
            LogJob(job!["name"]!.GetValue<string>(), job["successCount"]!.GetValue<int>(), job["failureCount"]!.GetValue<int>(),
                job["launchFailureCount"]!.GetValue<int>(), job["lastRun"]?["reason"]?.GetValue<string>() ?? "-");
        LogTry(address);
    }

    private static List<JsonObject> Scenario(DateTimeOffset now)
    {
        var ecs = new EcsEventFactory();
        var day = now.AddHours(-24);
        var events = new List<JsonObject>();
        // Runs as long as the simulator's and earlier demos' runs of the same jobs (deploy/local/demo/simulator.json,
        // at the simulator's pace): longer ones would be reported slow each time the demo starts again on its database.
        const double pace = EcsEventFactory.SimulatorPace;
        for (var hour = 0; hour < 24; hour += 4)
            events.AddRange(ecs.Run("etl-orders", day.AddHours(hour), TimeSpan.FromSeconds(3), pace: pace));
        events.AddRange(ecs.Run("nightly-report", day.AddHours(2), TimeSpan.FromSeconds(5), pace: pace));
        events.AddRange(ecs.Run("nightly-report", day.AddHours(20), TimeSpan.FromSeconds(4), RunEnding.ExitCode, exitCode: 2, pace: pace));
        events.AddRange(ecs.Run("cleanup", day.AddHours(3), TimeSpan.FromMinutes(1), RunEnding.SuccessWithKilledSidecar));
        events.AddRange(ecs.Run("cleanup", day.AddHours(15), TimeSpan.FromMinutes(1), RunEnding.OutOfMemory));
        events.AddRange(ecs.Run("image-resize", day.AddHours(9), TimeSpan.Zero, RunEnding.CannotPullImage));
        events.Add(ecs.LaunchFailure("billing-export", day.AddHours(6), "AGENT"));
        events.AddRange(ecs.Run("billing-export", day.AddHours(6).AddMinutes(1), TimeSpan.FromMinutes(4)));
        // EventBridge delivers at least once and out of order: so does the demo.
        events.AddRange(events.Take(10).Select(e => (JsonObject)e.DeepClone()).ToList());
        return [.. events.OrderBy(_ => Random.Shared.Next())];
    }

    private async Task<bool> WaitForStartAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await ((Task)Task.WhenAny(started.Task, Task.Delay(Timeout.Infinite, ct))).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return started.Task.IsCompleted;
    }

    [LoggerMessage(LogLevel.Information, "Demo: posted {Count} ECS events (with duplicates, shuffled) to /events: {Status} {Body}")]
    private partial void LogPosted(int count, int status, string body);

    [LoggerMessage(LogLevel.Information, "Demo: job {Job}: {Successes} succeeded, {Failures} failed, {LaunchFailures} never launched; last: {Last}")]
    private partial void LogJob(string job, int successes, int failures, int launchFailures, string last);

    [LoggerMessage(LogLevel.Information, "Demo: try  curl {Address}/jobs  and  curl {Address}/jobs/nightly-report/runs")]
    private partial void LogTry(string address);
}
