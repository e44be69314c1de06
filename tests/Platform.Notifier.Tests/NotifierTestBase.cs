using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Testing;
using Xunit;

namespace Platform.Notifier.Tests;

[CollectionDefinition(Name)]
public sealed class NotifierCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "notifier";
}

/// <summary>A fake Slack, a platform config file whose secrets come from the environment, and the notifier.</summary>
public abstract class NotifierTestBase(PostgresFixture postgres) : IAsyncLifetime
{
    protected readonly DateTimeOffset Day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
    private readonly string id = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
    protected string Schema { get; } = PostgresFixture.NewSchema();
    protected string ConfigFile { get; } = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    protected FakeSlack Slack { get; private set; } = null!;
    protected NotifierApp App { get; private set; } = null!;

    protected virtual int StormThreshold => 20;

    /// <summary>The platform file's <c>monitors:</c> section, for tests of per-monitor behaviour.</summary>
    protected virtual string Monitors => "";

    public async Task InitializeAsync()
    {
        Slack = await FakeSlack.StartAsync();
        Environment.SetEnvironmentVariable($"SLACK_TEST_DATA_{id}", Slack.WebhookUrl("DATA"));
        Environment.SetEnvironmentVariable($"PLATFORM_SLACK_TEST_DEFAULT_{id}", Slack.WebhookUrl("DEFAULT"));
        Environment.SetEnvironmentVariable($"PLATFORM_SLACK_TEST_TOKEN_{id}", "xoxb-test-token-" + id);
        await File.WriteAllTextAsync(ConfigFile, $$"""
            secrets: [SLACK_TEST_DATA_{{id}}]
            routes:
              - name: data-team
                match: { jobs: ["etl-*", "nightly-report"], clusters: ["batch"] }
                slack: { webhookUrl: "${SLACK_TEST_DATA_{{id}}}" }
                mention: "<!subteam^S012ABC>"
                logs: { group: "/ecs/{job}", stream: "app/{container}/{taskId}" }
              - name: ops
                match: { jobs: ["billing-*"] }
                slack: { botToken: "${PLATFORM_SLACK_TEST_TOKEN_{{id}}}", channel: "#ops" }
              - name: reports
                match: { jobs: ["report-*"] }
                slack: { webhookUrl: "${SLACK_TEST_DATA_{{id}}}" }
                repeatInterval: 2s
              - name: everything-else
                slack: { webhookUrl: "${PLATFORM_SLACK_TEST_DEFAULT_{{id}}}" }
            defaultRoute: everything-else
            storm: { threshold: {{StormThreshold}}, window: 1m }
            {{Monitors}}
            """);
        App = Start();
        _ = App.Server;
    }

    protected PostgresFixture Postgres => postgres;

    protected NotifierApp Start() => new(postgres, ConfigFile, Schema, Slack);

    protected async Task RestartAsync()
    {
        await App.DisposeAsync();
        App = Start();
        _ = App.Server;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Slack.DisposeAsync();
        await postgres.DropSchemaAsync(Schema);
        File.Delete(ConfigFile);
    }

    protected Task<IReadOnlyList<SlackPost>> WaitForPostsAsync(int count, TimeSpan? timeout = null) =>
        Eventually.Get(() => Task.FromResult(Slack.Posts), p => p.Count >= count, timeout, $"{count} Slack post(s)");

    /// <summary>Waits until the notifier has handled every published message, so that "nothing was posted" means something.</summary>
    protected async Task SettleAsync()
    {
        await Eventually.Get(async () => await App.Harness.InactivityTask.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => true), done => done);
        await Eventually.Get(async () => await App.ApiClient().GetFromJsonAsync<JsonArray>("/deliveries?status=pending"), p => p!.Count == 0, what: "no pending delivery");
    }
}
