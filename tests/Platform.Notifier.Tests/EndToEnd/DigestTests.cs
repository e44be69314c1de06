using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.Notifier.Tests.EndToEnd;

/// <summary>
/// The digest service asks history over real HTTP (the AllInOne host listening on loopback) and the notifier posts
/// the digest to the route's Slack webhook; a fake clock moves the schedule.
/// </summary>
[Collection(NotifierCollection.Name)]
public class DigestTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string ApiKey = "digest-ingest-key-0123456789";
    private readonly EcsEventFactory ecs = new();
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly string configFile = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
    private readonly int port = LoopbackPort.Free();
    private FakeSlack slack = null!;

    public async Task InitializeAsync()
    {
        slack = await FakeSlack.StartAsync();
        await File.WriteAllTextAsync(configFile, $"""
            routes:
              - name: data-team
                match: {"{"} jobs: ["etl-*"] {"}"}
                slack: {"{"} webhookUrl: "{slack.WebhookUrl("DATA")}" {"}"}
                digest: {"{"} schedule: cron(0 9 * * ? *), timezone: Europe/Berlin {"}"}
            """);
    }

    public async Task DisposeAsync()
    {
        await slack.DisposeAsync();
        await postgres.DropAllInOneSchemasAsync(schema);
        File.Delete(configFile);
    }

    private WebApplicationFactory<Platform.AllInOne.Demo.DemoFeed> Start()
    {
        var app = new WebApplicationFactory<Platform.AllInOne.Demo.DemoFeed>().WithWebHostBuilder(builder =>
        {
            builder.UseAllInOneTestSettings(postgres.ConnectionString, schema, ApiKey);
            builder.UseSetting("Platform:ConfigFile", configFile);
            builder.UseSetting("Digest:HistoryUrl", $"http://127.0.0.1:{port}/");
            builder.UseSetting("Digest:CheckInterval", "00:00:01");
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock));
        });
        app.UseKestrel(options => options.Listen(IPAddress.Loopback, port));
        app.StartServer();
        return app;
    }

    private List<SlackPost> Digests => [.. slack.Posts.Where(p => p.Text.StartsWith("📋", StringComparison.Ordinal))];

    /// <summary>Ticks the fake clock a second per look, so the scheduler's and dispatcher's waits end.</summary>
    private Task<List<SlackPost>> WaitForDigests(int count) => Eventually.Get(() =>
    {
        clock.Advance(TimeSpan.FromSeconds(1));
        return Task.FromResult(Digests);
    }, d => d.Count >= count, TimeSpan.FromSeconds(30), $"{count} digest(s)");

    [Fact]
    public async Task A_route_gets_one_digest_per_period_with_what_history_reports_also_across_a_restart()
    {
        var app = Start();
        try
        {
            await Task.Delay(1500); // the scheduler's first look starts the route's first period at 08:00 UTC
            var events = new List<JsonObject>();
            events.AddRange(ecs.Run("etl-orders", clock.GetUtcNow().AddMinutes(10), TimeSpan.FromMinutes(1)));
            events.AddRange(ecs.Run("etl-orders", clock.GetUtcNow().AddMinutes(20), TimeSpan.FromMinutes(3)));
            events.AddRange(ecs.Run("etl-orders", clock.GetUtcNow().AddMinutes(30), TimeSpan.FromMinutes(2), RunEnding.ExitCode, exitCode: 4));
            events.AddRange(ecs.Run("cleanup", clock.GetUtcNow().AddMinutes(5), TimeSpan.FromMinutes(1)));
            var client = app.CreateClient();
            client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
            (await client.PostAsync("/events", new StringContent(new JsonArray([.. events]).ToJsonString(), Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
            var api = app.CreateClient().WithReadKey();
            await Eventually.Get(async () => await (await api.GetAsync("/jobs/etl-orders")).Content.ReadAsStringAsync(),
                s => s.Contains("\"failureCount\":1", StringComparison.Ordinal), what: "the runs in history");

            // 09:00 Berlin is 08:00 UTC: the first tick after the start is tomorrow's 08:00 UTC.
            clock.SetUtcNow(new DateTimeOffset(2026, 11, 23, 8, 0, 30, TimeSpan.Zero));
            var digest = Assert.Single(await WaitForDigests(1));
            Assert.Contains("B000DATA", digest.Path);
            Assert.Equal("📋 Digest for data-team, 2026-11-22 09:00 – 2026-11-23 09:00 Europe/Berlin: 1 job(s), 2 succeeded, 1 failed, 0 missed", digest.Text);
            const string Line = "*etl-orders* (failing): 2 succeeded (09:11–09:23), 1 failed (exit-code 1), median 2m 15s, max 3m 15s";
            Assert.True(digest.BlockText.Contains(Line, StringComparison.Ordinal), digest.BlockText);
            Assert.DoesNotContain("cleanup", digest.BlockText);
        }
        finally
        {
            await app.DisposeAsync();
        }

        // Restarted within the same period: nothing more. Down for two more days: one digest covers the gap.
        var restarted = Start();
        try
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(2000);
            Assert.Single(Digests);
            clock.SetUtcNow(new DateTimeOffset(2026, 11, 25, 8, 0, 30, TimeSpan.Zero));
            var both = await WaitForDigests(2);
            Assert.StartsWith("📋 Digest for data-team, 2026-11-23 09:00 – 2026-11-25 09:00 Europe/Berlin: 1 job(s), 0 succeeded", both[1].Text);
            await Task.Delay(1500);
            Assert.Equal(2, Digests.Count);
        }
        finally
        {
            await restarted.DisposeAsync();
        }
    }
}
