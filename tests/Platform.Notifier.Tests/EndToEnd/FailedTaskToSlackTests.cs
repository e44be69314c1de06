using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Platform.Notifier.Tests.EndToEnd;

/// <summary>Ingest, history and notifier in one process (AllInOne, in-memory bus), real PostgreSQL, a fake Slack over HTTP.</summary>
[Collection(NotifierCollection.Name)]
public class FailedTaskToSlackTests(PostgresFixture postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private const string ApiKey = "e2e-ingest-key-0123456789";
    private readonly EcsEventFactory ecs = new();
    private readonly string historySchema = PostgresFixture.NewSchema();
    private readonly string notifierSchema = PostgresFixture.NewSchema();
    private readonly string configFile = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    private FakeSlack slack = null!;
    private WebApplicationFactory<Platform.AllInOne.Demo.DemoFeed> app = null!;

    public async Task InitializeAsync()
    {
        slack = await FakeSlack.StartAsync();
        await File.WriteAllTextAsync(configFile, $"""
            routes:
              - name: data-team
                match: {"{"} jobs: ["etl-*"] {"}"}
                slack: {"{"} webhookUrl: "{slack.WebhookUrl("DATA")}" {"}"}
              - name: everything-else
                slack: {"{"} webhookUrl: "{slack.WebhookUrl("DEFAULT")}" {"}"}
            defaultRoute: everything-else
            """);
        app = new WebApplicationFactory<Platform.AllInOne.Demo.DemoFeed>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Bus:Transport", "InMemory");
            builder.UseSetting("Ingest:ApiKey", ApiKey);
            builder.UseSetting("ConnectionStrings:Postgres", postgres.ConnectionString);
            builder.UseSetting("History:Schema", historySchema);
            builder.UseSetting("Notifier:Schema", notifierSchema);
            builder.UseSetting("Platform:ConfigFile", configFile);
            builder.UseSetting("Retry:Schema", historySchema + "_r");
            builder.UseSetting("Aws:Region", "eu-west-1");
            builder.UseSetting("Aws:ServiceUrl", "http://127.0.0.1:9/");
            builder.UseSetting("Dashboard:AccessKey", AllInOneTestHost.ReadKey);
        });
        _ = app.Server;
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await slack.DisposeAsync();
        await postgres.DropSchemaAsync(historySchema);
        await postgres.DropSchemaAsync(notifierSchema);
        await postgres.DropSchemaAsync(historySchema + "_r");
        File.Delete(configFile);
    }

    [Fact]
    public async Task A_failed_task_posted_to_ingest_gives_one_Slack_message_on_its_route_and_a_successful_one_gives_none()
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var failed = ecs.Run("etl-orders", start, TimeSpan.FromMinutes(5), RunEnding.OutOfMemory);
        var succeeded = ecs.Run("etl-customers", start, TimeSpan.FromMinutes(5));

        await Post(client, [.. failed, .. succeeded, .. failed]);

        var post = Assert.Single(await Eventually.Get(() => Task.FromResult(slack.Posts), p => p.Count >= 1));
        Assert.Contains("/B000DATA/", post.Path);
        Assert.Contains("etl-orders ran out of memory", post.Text);
        // The successful run's outcome went through the same pipeline: once it is stored, nothing more may come.
        var api = app.CreateClient().WithReadKey();
        await Eventually.Get(async () => await api.GetStringAsync("/jobs/etl-customers"), body => body.Contains("\"successCount\":1"));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(slack.Posts);
    }

    [Fact]
    public async Task Latency_from_ingest_POST_to_the_Slack_request_at_low_load()
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        var latencies = new List<double>();
        for (var i = 0; i < 15; i++)
        {
            var run = ecs.Run($"job-{i}", DateTimeOffset.UtcNow.AddHours(-1), TimeSpan.FromMinutes(3), RunEnding.ExitCode);
            await Post(client, run.Take(run.Count - 1));
            var before = slack.Posts.Count;
            var watch = Stopwatch.StartNew();
            await Post(client, [run[^1]]);
            var posts = await Eventually.Get(() => Task.FromResult(slack.Posts), p => p.Count > before);
            latencies.Add((posts[before].At - DateTimeOffset.UtcNow).TotalMilliseconds + watch.Elapsed.TotalMilliseconds);
            await Task.Delay(1_100); // past the route's one-message-per-second pacing
        }
        latencies.Sort();
        output.WriteLine($"ingest POST → Slack request, {latencies.Count} alerts: p50 {latencies[latencies.Count / 2]:F0} ms, max {latencies[^1]:F0} ms");
        Assert.Equal(15, slack.Posts.Count);
    }

    private static async Task Post(HttpClient client, IEnumerable<JsonObject> events)
    {
        var response = await client.PostAsync("/events", new StringContent(new JsonArray([.. events.Select(e => e.DeepClone())]).ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }
}
