using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.AspNetCore.Builder;
using Platform.EcsSamples;
using Platform.EcsSimulator;
using Platform.Testing;
using Xunit;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The five services as separate processes on Amazon SQS/SNS (the fauxqs emulator), given no RabbitMQ at all: a failed
/// task posted to ingest is one Slack post, a launch failure is relaunched through the ECS simulator, a digest is
/// sent; and history is killed (SIGKILL) mid-stream while a second history instance stands by, which takes over the
/// event queue (its lease in PostgreSQL) and leaves nothing lost or counted twice.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class PlatformOverSqsTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string ApiKey = "e2e-sqs-key-0123456789";
    private const string DigestTitle = "📋 Digest for team";
    private const int Jobs = 12;
    private const int RunsPerJob = 10;
    private const int FailingJobs = 3;
    private static readonly string SqsUrl = System.Environment.GetEnvironmentVariable("PLATFORM_TEST_SQS_URL") ?? "http://127.0.0.1:4566";
    private readonly EcsEventFactory ecs = new(cluster: "sqs");
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly string prefix = "sqs-" + Guid.NewGuid().ToString("N")[..6];
    private readonly string bus = "e2e" + Guid.NewGuid().ToString("N")[..8] + "-";
    private readonly string config = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    private readonly DateTimeOffset day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
    private readonly int ingestPort = LoopbackPort.Free();
    private readonly int standbyPort = LoopbackPort.Free();
    private FakeSlack slack = null!;
    private WebApplication simulator = null!;

    private string Relaunched => prefix + "r-report";

    public async Task InitializeAsync()
    {
        slack = await FakeSlack.StartAsync();
        await File.WriteAllTextAsync(config, $"routes:\n  - name: team\n    match: {{ jobs: [\"{prefix}-*\"] }}\n    slack: {{ webhookUrl: \"{slack.WebhookUrl("SQS")}\" }}\n" +
            $"    digest: {{ schedule: \"rate(1 minute)\" }}\nstorm: {{ threshold: 1000, window: 1m }}\nmonitors:\n" +
            $"  - job: {Relaunched}\n    retry: {{ launch: {{ reasons: [AGENT], maxAttempts: 3, interval: 1s, backoffRate: 1 }} }}\n");
        simulator = await EcsSimulatorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Simulator:IngestUrl"] = $"http://127.0.0.1:{ingestPort}/",
            ["Simulator:IngestApiKey"] = ApiKey,
            [$"Simulator:Jobs:{Relaunched}:LaunchFailures"] = "1",
            [$"Simulator:Jobs:{Relaunched}:RunFor"] = "00:00:01",
        });
    }

    public async Task DisposeAsync()
    {
        await simulator.DisposeAsync();
        await slack.DisposeAsync();
        File.Delete(config);
        foreach (var suffix in new[] { "", "_n", "_d", "_r" })
            await postgres.DropSchemaAsync(schema + suffix);
    }

    [Fact]
    public async Task On_SQS_and_SNS_a_failure_alerts_once_a_launch_failure_is_relaunched_a_digest_goes_and_a_killed_history_loses_nothing()
    {
        var ingest = await ServiceProcess.StartAsync("Platform.Ingest", Environment(), ingestPort);
        var active = await ServiceProcess.StartAsync("Platform.History", Environment());
        // Standing by: it receives from history's event queue only once the active one's lease has ended.
        var standby = await ServiceProcess.StartAsync("Platform.History", Environment(), standbyPort);
        var notifier = await ServiceProcess.StartAsync("Platform.Notifier", Environment());
        var digest = await ServiceProcess.StartAsync("Platform.Digest", Environment());
        var retry = await ServiceProcess.StartAsync("Platform.Retry", Environment());
        try
        {
            using var ecsControl = new HttpClient { BaseAddress = new Uri(simulator.Urls.First()) };
            (await ecsControl.PostAsync($"/_simulator/launch/{Relaunched}", null)).EnsureSuccessStatusCode();

            var api = standby.Client();
            var chunks = Scenario().Chunk(20).ToList();
            var killed = Stopwatch.StartNew();
            for (var i = 0; i < chunks.Count; i++)
            {
                if (i == chunks.Count / 2)
                {
                    // Mid-stream: once the active instance has stored some runs, it dies as a crashed task does.
                    await Eventually.Get(() => Counted(api), n => n > 0, TimeSpan.FromSeconds(60), "some runs stored by the active history");
                    await active.DisposeAsync();
                    killed.Restart();
                }
                await PostUntilAcceptedAsync(chunks[i]);
            }

            var summaries = await Eventually.Get(() => Summaries(api), jobs => Count(jobs) >= Jobs * RunsPerJob,
                TimeSpan.FromSeconds(120), "every run summarized by the standby history");
            Console.WriteLine($"[sqs] the standby history took over and counted every run {killed.Elapsed.TotalSeconds:F0} s after the kill");
            Assert.Equal(Jobs, summaries.Count);
            foreach (var job in summaries)
            {
                var failing = int.Parse(job!["name"]!.GetValue<string>()[^3..]) < FailingJobs;
                Assert.Equal((failing ? RunsPerJob - 1 : RunsPerJob, failing ? 1 : 0), (job["successCount"]!.GetValue<int>(), job["failureCount"]!.GetValue<int>()));
            }

            await Eventually.Get(() => Task.FromResult(Alerts().Count), n => n >= FailingJobs, TimeSpan.FromSeconds(60), "an alert per failing job");
            var decisions = await Eventually.Get(async () => await api.GetAsync($"/jobs/{Relaunched}/retries") is { IsSuccessStatusCode: true } r
                    ? (await r.Content.ReadFromJsonAsync<JsonArray>())!.Select(d => d!["decision"]!.GetValue<string>()).Order().ToList()
                    : [],
                d => d.Contains("relaunched"), TimeSpan.FromSeconds(60), "the launch failure relaunched");
            Assert.Equal(["relaunch-scheduled", "relaunched"], decisions);
            await Eventually.Get(async () => (await api.GetFromJsonAsync<JsonArray>($"/jobs/{Relaunched}/runs"))!.Select(r => r!["status"]!.GetValue<string>()).Order().ToList(),
                s => s.SequenceEqual(["launch-failed", "succeeded"]), TimeSpan.FromSeconds(60), "the relaunched run succeeded");
            await Eventually.Get(() => Task.FromResult(Digests().Count), n => n >= 1, TimeSpan.FromSeconds(150), "a digest");

            // Exactly once: nothing left to deliver or to consume, then each failing job alerted once.
            await Eventually.Get(() => WaitingAsync($"{bus}notifier-run-outcomes"), n => n == 0, TimeSpan.FromSeconds(60), "the notifier's queue drained");
            await Eventually.Get(async () => (await notifier.Client().GetFromJsonAsync<JsonArray>("/deliveries?status=pending"))!.Count, n => n == 0,
                TimeSpan.FromSeconds(60), "no pending delivery");
            var alerted = Alerts().Where(p => p.Text.Contains(" failed", StringComparison.Ordinal)).Select(p => p.Text.Split(' ')[1]).Where(j => !j.StartsWith(prefix + "r", StringComparison.Ordinal)).Order();
            Assert.Equal(Enumerable.Range(0, FailingJobs).Select(j => $"{prefix}-{j:D3}"), alerted);
            foreach (var queue in new[] { "history-ecs-events", "notifier-run-outcomes", "retry-run-outcomes", "history-retry-decisions" })
                Assert.Equal(0, await WaitingAsync($"{bus}{queue}_error"));
        }
        finally
        {
            foreach (var service in new[] { ingest, active, standby, notifier, digest, retry })
                await service.DisposeAsync();
        }
    }

    private List<JsonObject> Scenario()
    {
        var events = new List<JsonObject>();
        for (var job = 0; job < Jobs; job++)
            for (var run = 0; run < RunsPerJob; run++)
                events.AddRange(ecs.Run($"{prefix}-{job:D3}", day.AddHours(run).AddMinutes(job), TimeSpan.FromMinutes(5),
                    job < FailingJobs && run == RunsPerJob - 1 ? RunEnding.ExitCode : RunEnding.Success, exitCode: 3));
        var random = new Random(5);
        events.AddRange(events.Where(_ => random.NextDouble() < 0.1).Select(e => (JsonObject)e.DeepClone()).ToList());
        return [.. events.OrderBy(_ => random.Next())];
    }

    private async Task PostUntilAcceptedAsync(IEnumerable<JsonObject> events)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingestPort}") };
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        var body = new JsonArray([.. events.Select(e => e.DeepClone())]).ToJsonString();
        var response = await client.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task<JsonArray> Summaries(HttpClient api) =>
        [.. (await api.GetFromJsonAsync<JsonArray>("/jobs"))!.Where(j => j!["name"]!.GetValue<string>().StartsWith(prefix + "-", StringComparison.Ordinal)).Select(j => j!.DeepClone())];

    private async Task<int> Counted(HttpClient api) => Count(await Summaries(api));

    private static int Count(JsonArray jobs) => jobs.Sum(j => j!["successCount"]!.GetValue<int>() + j["failureCount"]!.GetValue<int>());

    private List<SlackPost> Alerts() => [.. slack.Posts.Where(p => !p.Text.StartsWith(DigestTitle, StringComparison.Ordinal))];

    private List<SlackPost> Digests() => [.. slack.Posts.Where(p => p.Text.StartsWith(DigestTitle, StringComparison.Ordinal))];

    /// <summary>Messages in a queue, visible, in flight or delayed.</summary>
    private static async Task<int> WaitingAsync(string queue)
    {
        using var sqs = new AmazonSQSClient(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig { ServiceURL = SqsUrl, AuthenticationRegion = "us-east-1" });
        var url = (await sqs.GetQueueUrlAsync(queue)).QueueUrl;
        var attributes = (await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = url, AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
        })).Attributes;
        return attributes.Values.Sum(int.Parse);
    }

    private Dictionary<string, string> Environment() => new()
    {
        ["ConnectionStrings__Postgres"] = postgres.ConnectionString,
        ["Bus__Transport"] = "AmazonSqs",
        ["Bus__AmazonSqs__ServiceUrl"] = SqsUrl,
        ["Bus__AmazonSqs__Prefix"] = bus,
        ["Bus__AmazonSqs__VisibilityTimeoutSeconds"] = "10",
        ["Ingest__ApiKey"] = ApiKey,
        ["History__Schema"] = schema,
        ["Notifier__Schema"] = schema + "_n",
        ["Notifier__MinimumInterval"] = "00:00:00.050",
        ["Digest__Schema"] = schema + "_d",
        ["Digest__CheckInterval"] = "00:00:01",
        ["Digest__HistoryUrl"] = $"http://127.0.0.1:{standbyPort}/",
        ["Platform__ConfigFile"] = config,
        ["Retry__Schema"] = schema + "_r",
        ["Retry__PollInterval"] = "00:00:00.200",
        ["Aws__Region"] = "eu-west-1",
        ["Aws__ServiceUrl"] = simulator.Urls.First(),
        ["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLESIMULATOR",
        ["AWS_SECRET_ACCESS_KEY"] = "simulator-secret-key",
        ["AWS_EC2_METADATA_DISABLED"] = "true",
    };
}
