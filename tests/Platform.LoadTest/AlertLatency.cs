using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Platform.EcsSamples;

namespace Platform.LoadTest;

public sealed record AlertSettings(Uri Ingest, string ApiKey, int SlackPort, int BackgroundRate, int Probes, TimeSpan ProbeInterval, int WarmupProbes,
    string? Postgres = null, string? HistorySchema = null, string? NotifierSchema = null);

/// <summary>
/// Failure alerts under load: background traffic at a steady rate (runs of jobs no route takes, ≈5 % failed), and
/// once per interval a failed run of a new job that the probe route takes, posted whole; the time from that POST to
/// the notifier's request at a stand-in Slack webhook (a real HTTP server here) is the alert's latency.
/// </summary>
public sealed class AlertLatency(AlertSettings settings)
{
    public const string ProbePrefix = "alert-probe-";

    public async Task<int> ExecuteAsync(CancellationToken ct)
    {
        if (!IPAddress.IsLoopback((await Dns.GetHostAddressesAsync(settings.Ingest.Host, ct))[0]))
        {
            Console.Error.WriteLine("Refusing to send load anywhere but loopback.");
            return 2;
        }
        var clock = Stopwatch.StartNew();
        var wallStart = DateTimeOffset.UtcNow;
        var arrivals = new ConcurrentDictionary<string, long>();
        await using var slack = await StartSlackAsync(arrivals, clock, ct);

        using var http = new HttpClient { BaseAddress = settings.Ingest };
        http.DefaultRequestHeaders.Add("X-Api-Key", settings.ApiKey);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var background = BackgroundAsync(http, stop.Token);

        var ecs = new EcsEventFactory(cluster: "alerts");
        var postedAt = new Dictionary<string, long>();
        await Task.Delay(TimeSpan.FromSeconds(3), ct); // background reaches its rate first
        // A service's first alerts also pay for the JIT (tiering up for about half a minute) and the first connection
        // to Slack: the warm-up probes are timed apart, and the figures are for the services as they run for days.
        var warm = new List<double>();
        for (var i = 0; i < settings.WarmupProbes; i++)
        {
            var job = $"{ProbePrefix}warmup-{i:D3}";
            var posted = await ProbeAsync(http, ecs, job, clock, ct);
            if (arrivals.TryGetValue(job, out var at))
                warm.Add(at - posted);
        }
        if (settings.WarmupProbes > 0)
            Console.WriteLine($"warm-up, not counted: {warm.Count} of {settings.WarmupProbes} probes alerted within a second (the slowest of those in {(warm.Count > 0 ? warm.Max() : double.NaN):N0} ms)");
        for (var i = 0; i < settings.Probes; i++)
        {
            var job = $"{ProbePrefix}{i:D4}";
            postedAt[job] = await ProbeAsync(http, ecs, job, clock, ct);
        }
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(30);
        while (postedAt.Keys.Any(k => !arrivals.ContainsKey(k)) && clock.Elapsed < deadline)
            await Task.Delay(100, ct);
        await stop.CancelAsync();
        var sentBackground = await background;

        var latencies = postedAt.Where(p => arrivals.ContainsKey(p.Key)).Select(p => (double)(arrivals[p.Key] - p.Value)).Order().ToList();
        Console.WriteLine($"background: {sentBackground:N0} events at {settings.BackgroundRate:N0} events/s offered; {settings.Probes} failed runs probed, {latencies.Count} alerted");
        if (latencies.Count == 0)
            return 1;
        Console.WriteLine($"ingest POST → Slack request: p50 {Percentile.Of(latencies, 0.50):N0} ms, p99 {Percentile.Of(latencies, 0.99):N0} ms, max {latencies[^1]:N0} ms");
        if (settings is { Postgres: { } postgres, HistorySchema: { } history, NotifierSchema: { } notifier })
            await AlertStages.ReportAsync(postgres, history, notifier, wallStart, postedAt, arrivals, ct);
        return latencies.Count == settings.Probes ? 0 : 1;
    }

    /// <summary>Posts a failed run of a new probe job whole, then waits the probe interval; returns when it was posted.</summary>
    private async Task<long> ProbeAsync(HttpClient http, EcsEventFactory ecs, string job, Stopwatch clock, CancellationToken ct)
    {
        var events = ecs.Run(job, DateTimeOffset.UtcNow.AddMinutes(-2), TimeSpan.FromSeconds(30), RunEnding.ExitCode, exitCode: 2);
        var posted = clock.ElapsedMilliseconds;
        await PostAsync(http, events, ct);
        await Task.Delay(settings.ProbeInterval, ct);
        return posted;
    }

    /// <summary>Runs of 50 jobs, posted 10 events at a time at the background rate until stopped.</summary>
    private async Task<long> BackgroundAsync(HttpClient http, CancellationToken ct)
    {
        var ecs = new EcsEventFactory(cluster: "background");
        var random = new Random(7);
        var clock = Stopwatch.StartNew();
        long sent = 0;
        var pending = new List<JsonObject>();
        try
        {
            for (var run = 0; ; run++)
            {
                var ending = random.NextDouble() < 0.05 ? RunEnding.ExitCode : RunEnding.Success;
                pending.AddRange(ecs.Run($"background-{run % 50:D2}", DateTimeOffset.UtcNow.AddMinutes(-5), TimeSpan.FromMinutes(2), ending));
                while (pending.Count >= 10)
                {
                    var due = TimeSpan.FromSeconds((double)sent / settings.BackgroundRate);
                    if (due > clock.Elapsed)
                        await Task.Delay(due - clock.Elapsed, ct);
                    await PostAsync(http, pending.Take(10), ct);
                    pending.RemoveRange(0, 10);
                    sent += 10;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return sent;
        }
    }

    private static Task PostAsync(HttpClient http, IEnumerable<JsonObject> events, CancellationToken ct) =>
        IngestClient.PostAsync(http, new JsonArray([.. events]).ToJsonString(), ct);

    private async Task<WebApplication> StartSlackAsync(ConcurrentDictionary<string, long> arrivals, Stopwatch clock, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, settings.SlackPort));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/services/{*path}", async (HttpRequest request) =>
        {
            var at = clock.ElapsedMilliseconds;
            var body = await JsonNode.ParseAsync(request.Body);
            var text = body?["text"]?.GetValue<string>() ?? "";
            var start = text.IndexOf(ProbePrefix, StringComparison.Ordinal);
            if (start >= 0)
                arrivals.TryAdd(new string(text[start..].TakeWhile(c => char.IsLetterOrDigit(c) || c == '-').ToArray()), at);
            return Results.Text("ok");
        });
        await app.StartAsync(ct);
        return app;
    }
}
