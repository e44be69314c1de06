using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.EndToEnd.Tests;

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "end-to-end";
}

/// <summary>Ingest and history as separate processes, over a real RabbitMQ and a real PostgreSQL.</summary>
[Collection(EndToEndCollection.Name)]
public class IngestAndHistoryOverRabbitMqTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string ApiKey = "e2e-ingest-key-0123456789";
    private readonly EcsEventFactory ecs = new();
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly string prefix = "e2e-" + Guid.NewGuid().ToString("N")[..6];
    private readonly DateTimeOffset day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
    private RabbitMqVirtualHost vhost = null!;

    public async Task InitializeAsync() => vhost = await RabbitMqVirtualHost.CreateAsync();

    public async Task DisposeAsync()
    {
        await vhost.DisposeAsync();
        await postgres.DropSchemaAsync(schema);
    }

    [Fact]
    public async Task Events_posted_before_history_ever_ran_and_then_again_twice_shuffled_are_counted_once()
    {
        var events = Scenario(out var finishedRuns);
        await using var ingest = await ServiceProcess.StartAsync("Platform.Ingest", Environment("Ingest__ApiKey", ApiKey));
        var client = new HttpClient { BaseAddress = ingest.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);

        // History has never run in this virtual host: the queue exists only because ingest declared it.
        Assert.Equal(HttpStatusCode.Accepted, (await Post(client, events)).StatusCode);

        await using var history = await ServiceProcess.StartAsync("Platform.History", Environment("History__Schema", schema));
        var api = history.Client();
        var once = await WaitForSummaries(api, finishedRuns, history);

        var again = events.Concat(events).OrderBy(_ => Random.Shared.Next()).ToList();
        var responses = await Task.WhenAll(again.Chunk(5).Select(chunk => Post(client, chunk)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));

        Assert.Equal(HttpStatusCode.Unauthorized, (await new HttpClient { BaseAddress = ingest.BaseAddress }.PostAsync("/events", Json(events[0]))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/events", new StringContent("[{\"detail\": 1}]", Encoding.UTF8, "application/json"))).StatusCode);
        var huge = (JsonObject)ecs.Run(prefix + "-huge", day, TimeSpan.FromMinutes(1))[^1].DeepClone();
        huge["detail"]!["stoppedReason"] = new string('x', 300 * 1024);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await Post(client, [huge])).StatusCode);

        // Everything the second pass sent is a duplicate: wait until history has drained it, then compare.
        await Eventually.Get(() => api.GetStringAsync("/jobs"), _ => true);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var twice = await Summaries(api);
        Assert.Equal(once.ToJsonString(), twice.ToJsonString());
        Assert.Equal(finishedRuns, twice.Sum(j => j!["successCount"]!.GetValue<int>() + j["failureCount"]!.GetValue<int>() + j["launchFailureCount"]!.GetValue<int>()));
        Assert.DoesNotContain(twice, j => j!["name"]!.GetValue<string>().EndsWith("-huge", StringComparison.Ordinal));
        var runs = await api.GetFromJsonAsync<JsonArray>($"/jobs/{prefix}-etl/runs");
        Assert.Equal(4, runs!.Count);
    }

    [Fact]
    public async Task A_failure_stored_before_the_notifier_ever_ran_reaches_Slack_once_when_it_starts()
    {
        await using var slack = await FakeSlack.StartAsync();
        var config = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(config, $"routes:\n  - name: team\n    slack: {{ webhookUrl: \"${{PLATFORM_E2E_SLACK_WEBHOOK}}\" }}\ndefaultRoute: team\n");
        await using var ingest = await ServiceProcess.StartAsync("Platform.Ingest", Environment("Ingest__ApiKey", ApiKey));
        await using var history = await ServiceProcess.StartAsync("Platform.History", Environment("History__Schema", schema));
        var client = new HttpClient { BaseAddress = ingest.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);

        var failed = ecs.Run(prefix + "-etl", day, TimeSpan.FromMinutes(4), RunEnding.ExitCode, exitCode: 7);
        Assert.Equal(HttpStatusCode.Accepted, (await Post(client, failed)).StatusCode);
        var api = history.Client();
        await WaitForSummaries(api, 1, history);
        await Task.Delay(TimeSpan.FromSeconds(1)); // the outcome is published from the stored event, into the notifier's queue

        var notifierEnvironment = Environment("Notifier__Schema", schema + "_n");
        notifierEnvironment["Platform__ConfigFile"] = config;
        notifierEnvironment["PLATFORM_E2E_SLACK_WEBHOOK"] = slack.WebhookUrl("E2E");
        try
        {
            await using var notifier = await ServiceProcess.StartAsync("Platform.Notifier", notifierEnvironment);
            var posts = await Eventually.Get(() => Task.FromResult(slack.Posts), p => p.Count >= 1, TimeSpan.FromSeconds(30), "the alert");
            Assert.Contains(prefix + "-etl failed: app exited with code 7", posts[0].Text);
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Single(slack.Posts);
        }
        finally
        {
            File.Delete(config);
            await postgres.DropSchemaAsync(schema + "_n");
        }
    }

    private List<JsonObject> Scenario(out int finishedRuns)
    {
        var events = new List<JsonObject>();
        for (var hour = 0; hour < 3; hour++)
            events.AddRange(ecs.Run(prefix + "-etl", day.AddHours(hour), TimeSpan.FromMinutes(4)));
        events.AddRange(ecs.Run(prefix + "-etl", day.AddHours(5), TimeSpan.FromMinutes(4), RunEnding.OutOfMemory));
        events.AddRange(ecs.Run(prefix + "-report", day.AddHours(2), TimeSpan.FromMinutes(30), RunEnding.ExitCode, exitCode: 2));
        events.AddRange(ecs.Run(prefix + "-report", day.AddHours(3), TimeSpan.FromMinutes(30), RunEnding.SuccessWithKilledSidecar));
        events.Add(ecs.LaunchFailure(prefix + "-billing", day.AddHours(4), "AGENT"));
        finishedRuns = 7;
        return events;
    }

    private Dictionary<string, string> Environment(string key, string value) => new()
    {
        ["ConnectionStrings__Postgres"] = postgres.ConnectionString,
        ["ConnectionStrings__RabbitMq"] = vhost.Uri,
        ["Bus__Transport"] = "RabbitMq",
        [key] = value,
    };

    private static Task<HttpResponseMessage> Post(HttpClient client, IEnumerable<JsonObject> events) =>
        client.PostAsync("/events", Json(new JsonArray([.. events.Select(e => e.DeepClone())])));

    private static StringContent Json(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

    private async Task<JsonArray> Summaries(HttpClient api)
    {
        var all = (await api.GetFromJsonAsync<JsonArray>("/jobs"))!;
        return [.. all.Where(j => j!["name"]!.GetValue<string>().StartsWith(prefix, StringComparison.Ordinal)).Select(j => j!.DeepClone())];
    }

    private async Task<JsonArray> WaitForSummaries(HttpClient api, int finishedRuns, ServiceProcess history)
    {
        try
        {
            return await Eventually.Get(() => Summaries(api),
                jobs => jobs.Sum(j => j!["successCount"]!.GetValue<int>() + j["failureCount"]!.GetValue<int>() + j["launchFailureCount"]!.GetValue<int>()) == finishedRuns,
                TimeSpan.FromSeconds(60), "history to summarize every run");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\nhistory output:\n" + history.Output, e);
        }
    }
}
