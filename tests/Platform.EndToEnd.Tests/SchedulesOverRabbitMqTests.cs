using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Testing;
using Xunit;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// History, notifier and digest as separate processes over RabbitMQ, on the wall clock: a scheduled job that never
/// runs is reported missed, and a route's digest arrives, both in Slack (a fake Slack over HTTP).
/// </summary>
[Collection(EndToEndCollection.Name)]
public class SchedulesOverRabbitMqTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly string job = "e2e-" + Guid.NewGuid().ToString("N")[..6] + "-backup";
    private readonly string configFile = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    private RabbitMqVirtualHost vhost = null!;
    private FakeSlack slack = null!;

    public async Task InitializeAsync()
    {
        vhost = await RabbitMqVirtualHost.CreateAsync();
        slack = await FakeSlack.StartAsync();
        await File.WriteAllTextAsync(configFile, $"""
            routes:
              - name: team
                slack: {"{"} webhookUrl: "{slack.WebhookUrl("TEAM")}" {"}"}
                digest: {"{"} schedule: rate(1 minute) {"}"}
            defaultRoute: team
            monitors:
              - job: {job}
                schedule: rate(1 minute)
                grace: 5s
            """);
    }

    public async Task DisposeAsync()
    {
        await slack.DisposeAsync();
        await vhost.DisposeAsync();
        foreach (var suffix in new[] { "", "_n", "_d" })
            await postgres.DropSchemaAsync(schema + suffix);
        File.Delete(configFile);
    }

    [Fact]
    public async Task A_scheduled_job_that_never_runs_is_reported_missed_and_the_route_gets_its_digest()
    {
        await using var history = await ServiceProcess.StartAsync("Platform.History", Environment(("History__Schema", schema), ("History__MissedRunCheckInterval", "00:00:01")));
        await using var notifier = await ServiceProcess.StartAsync("Platform.Notifier", Environment(("Notifier__Schema", schema + "_n")));
        await using var digest = await ServiceProcess.StartAsync("Platform.Digest", Environment(("Digest__Schema", schema + "_d"),
            ("Digest__HistoryUrl", history.BaseAddress + "/"), ("Digest__CheckInterval", "00:00:01")));

        // The first slot is the next whole minute; its grace ends 5 s later.
        var posts = await Eventually.Get(() => Task.FromResult(slack.Posts), p => p.Any(x => x.Text.StartsWith("🕳️", StringComparison.Ordinal))
            && p.Any(x => x.Text.StartsWith("📋", StringComparison.Ordinal)), TimeSpan.FromSeconds(100),
            "a missed-run alert and a digest\n" + history.Output + notifier.Output + digest.Output);

        var missed = Assert.Single(posts, p => p.Text.StartsWith("🕳️", StringComparison.Ordinal));
        Assert.StartsWith($"🕳️ {job} missed its run due ", missed.Text);
        var report = posts.First(p => p.Text.StartsWith("📋", StringComparison.Ordinal));
        Assert.StartsWith("📋 Digest for team, ", report.Text);
        Assert.Contains($"*{job}*", report.BlockText);
        var api = history.Client();
        var gaps = await api.GetFromJsonAsync<JsonArray>($"/jobs/{job}/gaps");
        Assert.NotEmpty(gaps!);
        var summary = await api.GetFromJsonAsync<JsonObject>($"/jobs/{job}");
        Assert.Equal("missed", summary!["status"]!.GetValue<string>());
    }

    private Dictionary<string, string> Environment(params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = postgres.ConnectionString,
            ["ConnectionStrings__RabbitMq"] = vhost.Uri,
            ["Bus__Transport"] = "RabbitMq",
            ["Platform__ConfigFile"] = configFile,
        };
        foreach (var (key, value) in settings)
            environment[key] = value;
        return environment;
    }
}
