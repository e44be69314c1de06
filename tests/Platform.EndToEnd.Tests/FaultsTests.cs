using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The fault scenario: while events flow, each service (ingest, history, notifier, digest) is killed (SIGKILL) and
/// started again, and Slack answers 429 and then 500 for a while. Afterwards every run is counted once, every job
/// summary equals what <c>rebuild</c> folds from the stored events, every failure was alerted once, each digest period
/// (a minute) was sent once, nothing is left failed or pending. CI runs it small (about 2,100 events);
/// <c>deploy/local/faults.sh</c> runs it with about 53,000 events and also restarts RabbitMQ and PostgreSQL mid-flow
/// (<c>PLATFORM_FAULTS_FULL=1</c>), which CI does not do: other test assemblies use them at the same time there.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class FaultsTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string ApiKey = "e2e-faults-key-0123456789";
    private const string DigestTitle = "📋 Digest for team";
    private static readonly bool Full = System.Environment.GetEnvironmentVariable("PLATFORM_FAULTS_FULL") == "1";
    private static readonly int Jobs = Full ? 200 : 30;
    private static readonly int RunsPerJob = Full ? 30 : 8;
    private static readonly int FailingJobs = Jobs / 2;
    private readonly EcsEventFactory ecs = new(cluster: "faults");
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly string prefix = "fault-" + Guid.NewGuid().ToString("N")[..6];
    private readonly string config = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    private readonly DateTimeOffset day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
    // The digest service asks history for reports at this address, across history's restarts.
    private readonly int historyPort = LoopbackPort.Free();
    private RabbitMqVirtualHost vhost = null!;
    private FakeSlack slack = null!;

    public async Task InitializeAsync()
    {
        vhost = await RabbitMqVirtualHost.CreateAsync();
        slack = await FakeSlack.StartAsync();
        // Storm grouping off: each failing job's alert is counted on its own.
        await File.WriteAllTextAsync(config, $"routes:\n  - name: team\n    match: {{ jobs: [\"{prefix}-*\"] }}\n    slack: {{ webhookUrl: \"{slack.WebhookUrl("FAULTS")}\" }}\n    digest: {{ schedule: \"rate(1 minute)\" }}\nstorm: {{ threshold: 1000, window: 1m }}\n");
    }

    public async Task DisposeAsync()
    {
        await slack.DisposeAsync();
        await vhost.DisposeAsync();
        File.Delete(config);
        await postgres.DropSchemaAsync(schema);
        await postgres.DropSchemaAsync(schema + "_n");
        await postgres.DropSchemaAsync(schema + "_d");
    }

    [Fact]
    public async Task Killing_each_service_mid_flow_and_a_refusing_Slack_lose_nothing_count_nothing_twice_and_alert_each_failure_once()
    {
        // From its first request Slack answers 429 with Retry-After, then 500: for a minute each at full size.
        var outage = TimeSpan.FromSeconds(Full ? 60 : 3);
        var refusing = new Stopwatch();
        var refuse429 = FakeSlack.Status(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(1));
        var refuse500 = FakeSlack.Status(HttpStatusCode.InternalServerError);
        slack.Refuse = context =>
        {
            if (!refusing.IsRunning)
                refusing.Start();
            return refusing.Elapsed < outage ? refuse429(context)
                : refusing.Elapsed < outage * 2 ? refuse500(context)
                : Task.FromResult(false);
        };

        var events = Scenario();
        var started = Stopwatch.StartNew();
        var ingest = await ServiceProcess.StartAsync("Platform.Ingest", Environment());
        var history = await ServiceProcess.StartAsync("Platform.History", Environment(), historyPort);
        var notifier = await ServiceProcess.StartAsync("Platform.Notifier", Environment());
        var digest = await ServiceProcess.StartAsync("Platform.Digest", Environment());
        try
        {
            var chunks = events.Chunk(40).ToList();
            for (var i = 0; i < chunks.Count; i++)
            {
                if (i == chunks.Count / 4)
                    history = await RestartAsync(history, "Platform.History", historyPort);
                if (i == chunks.Count / 3)
                    digest = await RestartAsync(digest, "Platform.Digest");
                if (i == chunks.Count * 2 / 5)
                    notifier = await RestartAsync(notifier, "Platform.Notifier");
                if (i == chunks.Count * 3 / 5)
                    ingest = await RestartAsync(ingest, "Platform.Ingest");
                if (Full && i == chunks.Count * 7 / 10)
                    await Infrastructure("rabbitmqctl", "stop_app", "rabbitmqctl", "start_app");
                if (Full && i == chunks.Count * 4 / 5)
                    await Infrastructure("pg_ctlcluster", $"{PostgresVersion} main stop -m fast", "pg_ctlcluster", $"{PostgresVersion} main start");
                await PostUntilAcceptedAsync(ingest, chunks[i]);
            }

            var api = history.Client();
            var summaries = await Eventually.Get(() => Summaries(api),
                jobs => jobs.Sum(j => j!["successCount"]!.GetValue<int>() + j["failureCount"]!.GetValue<int>()) >= Jobs * RunsPerJob,
                TimeSpan.FromSeconds(Full ? 600 : 90), "every run summarized");
            Assert.Equal(Jobs, summaries.Count);
            foreach (var job in summaries)
            {
                var name = Name(job);
                var failing = int.Parse(name[(name.LastIndexOf('-') + 1)..]) < FailingJobs;
                Assert.Equal((failing ? RunsPerJob - 1 : RunsPerJob, failing ? 1 : 0),
                    (job!["successCount"]!.GetValue<int>(), job["failureCount"]!.GetValue<int>()));
            }
            var runs = await api.GetFromJsonAsync<JsonArray>($"/jobs/{prefix}-000/runs");
            Assert.Equal(RunsPerJob, runs!.Count);

            await Eventually.Get(() => Task.FromResult(Alerts()),
                posts => posts.Count >= FailingJobs, TimeSpan.FromSeconds(Full ? 420 : 90), "an alert for every failing job");
            // rate(1 minute): the first digest covers from when the digest service first saw the route to the next minute.
            await Eventually.Get(() => Task.FromResult(Digests()), posts => posts.Count >= 2, TimeSpan.FromMinutes(3), "two digests");
            await Task.Delay(TimeSpan.FromSeconds(3));
            var jobsAlerted = Alerts().Select(p => p.Text.Split(' ')[1]).ToList();
            Assert.Equal(Enumerable.Range(0, FailingJobs).Select(j => $"{prefix}-{j:D3}"), jobsAlerted.Order());
            Assert.True(slack.Requests > slack.Posts.Count, "Slack refused some requests");
            // Each due digest once: every period starts where the one before ended, none is sent twice.
            var periods = Digests().Select(p => Regex.Match(p.Text, @"(\d{4}-\d\d-\d\d \d\d:\d\d) – (\d{4}-\d\d-\d\d \d\d:\d\d)"))
                .Select(m => (From: m.Groups[1].Value, To: m.Groups[2].Value)).OrderBy(p => p.From, StringComparer.Ordinal).ToList();
            Assert.All(periods, p => Assert.NotEmpty(p.From));
            Assert.All(periods.Zip(periods.Skip(1)), pair => Assert.Equal(pair.First.To, pair.Second.From));

            var deliveries = (await notifier.Client().GetFromJsonAsync<JsonArray>("/deliveries?limit=1000"))!;
            Assert.All(deliveries, d => Assert.Equal("sent", d!["status"]!.GetValue<string>()));
            Assert.Equal(FailingJobs + Digests().Count, deliveries.Count);
            var queues = await vhost.QueueDepthsAsync();
            Assert.Contains(queues.Keys, q => q.StartsWith("history", StringComparison.Ordinal));
            Assert.All(queues.Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal)), q => Assert.Equal(0, q.Value));

            // What a clean fold of the stored events gives: history stopped, `rebuild` run, history started again.
            var before = await Summaries(api);
            await history.DisposeAsync();
            var (exitCode, output) = await ServiceProcess.RunCommandAsync("Platform.History", Environment(), "rebuild");
            Assert.True(exitCode == 0, output);
            history = await ServiceProcess.StartAsync("Platform.History", Environment(), historyPort);
            var rebuilt = await Summaries(history.Client());
            Assert.Equal(before.Count, rebuilt.Count);
            foreach (var (stored, replayed) in before.OrderBy(Name).Zip(rebuilt.OrderBy(Name)))
                Assert.True(JsonNode.DeepEquals(stored, replayed), $"{Name(stored)} differs from its rebuild:\n{stored!.ToJsonString()}\n{replayed!.ToJsonString()}");

            Console.WriteLine($"[faults] {events.Count:N0} events ({Jobs * RunsPerJob:N0} runs, {FailingJobs} failing jobs): every run counted once, every job summary equal to its rebuild, " +
                $"{Alerts().Count} alerts for {FailingJobs} failures, {periods.Count} digests, each period once, after {slack.Requests - slack.Posts.Count} refused Slack requests, in {started.Elapsed.TotalSeconds:F0} s");
        }
        finally
        {
            await ingest.DisposeAsync();
            await history.DisposeAsync();
            await notifier.DisposeAsync();
            await digest.DisposeAsync();
        }
    }

    private List<SlackPost> Alerts() => [.. slack.Posts.Where(p => !p.Text.StartsWith(DigestTitle, StringComparison.Ordinal))];

    private List<SlackPost> Digests() => [.. slack.Posts.Where(p => p.Text.StartsWith(DigestTitle, StringComparison.Ordinal))];

    /// <summary>SIGKILL, as a crashed task would end, then a new process as ECS would start.</summary>
    private async Task<ServiceProcess> RestartAsync(ServiceProcess service, string name, int? port = null)
    {
        await service.DisposeAsync();
        return await ServiceProcess.StartAsync(name, Environment(), port);
    }

    /// <summary>Each job's runs an hour apart; the first <see cref="FailingJobs"/> jobs fail their last run. 10 % sent twice, shuffled.</summary>
    private List<JsonObject> Scenario()
    {
        var events = new List<JsonObject>();
        for (var job = 0; job < Jobs; job++)
            for (var run = 0; run < RunsPerJob; run++)
            {
                var failing = job < FailingJobs && run == RunsPerJob - 1;
                events.AddRange(ecs.Run($"{prefix}-{job:D3}", day.AddHours(run).AddMinutes(job), TimeSpan.FromMinutes(5),
                    failing ? RunEnding.ExitCode : RunEnding.Success, exitCode: 3));
            }
        var random = new Random(11);
        events.AddRange(events.Where(_ => random.NextDouble() < 0.1).Select(e => (JsonObject)e.DeepClone()).ToList());
        return [.. events.OrderBy(_ => random.Next())];
    }

    /// <summary>As EventBridge's API destinations do: a 5xx (ingest cannot reach the broker) is retried until accepted.</summary>
    private static async Task PostUntilAcceptedAsync(ServiceProcess ingest, IEnumerable<JsonObject> events)
    {
        using var client = new HttpClient { BaseAddress = ingest.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        var body = new JsonArray([.. events.Select(e => e.DeepClone())]).ToJsonString();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var response = await client.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/json"));
            if (response.StatusCode == HttpStatusCode.Accepted)
                return;
            Assert.True((int)response.StatusCode >= 500 && deadline.Elapsed < TimeSpan.FromMinutes(2), $"ingest answered {(int)response.StatusCode}");
            await Task.Delay(500);
        }
    }

    private static string PostgresVersion => Directory.GetDirectories("/etc/postgresql").Select(Path.GetFileName).Max()!;

    /// <summary>Stops a piece of the shared infrastructure for a few seconds and starts it again.</summary>
    private static async Task Infrastructure(string stop, string stopArguments, string start, string startArguments)
    {
        await RunAsync(stop, stopArguments);
        await Task.Delay(TimeSpan.FromSeconds(5));
        await RunAsync(start, startArguments);
        // The test's own pooled connections died with the server; the services' pools recover by themselves.
        Npgsql.NpgsqlConnection.ClearAllPools();
    }

    private static async Task RunAsync(string command, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{command} {arguments}: {await process.StandardError.ReadToEndAsync()}");
    }

    private static string Name(JsonNode? job) => job!["name"]!.GetValue<string>();

    private async Task<JsonArray> Summaries(HttpClient api)
    {
        var all = (await api.GetFromJsonAsync<JsonArray>("/jobs"))!;
        return [.. all.Where(j => Name(j).StartsWith(prefix, StringComparison.Ordinal)).Select(j => j!.DeepClone())];
    }

    private Dictionary<string, string> Environment() => new()
    {
        ["ConnectionStrings__Postgres"] = postgres.ConnectionString,
        ["ConnectionStrings__RabbitMq"] = vhost.Uri,
        ["Bus__Transport"] = "RabbitMq",
        ["Ingest__ApiKey"] = ApiKey,
        ["History__Schema"] = schema,
        ["Notifier__Schema"] = schema + "_n",
        ["Notifier__MinimumInterval"] = "00:00:00.050",
        ["Digest__Schema"] = schema + "_d",
        ["Digest__CheckInterval"] = "00:00:01",
        ["Digest__HistoryUrl"] = $"http://127.0.0.1:{historyPort}/",
        ["Platform__ConfigFile"] = config,
    };
}
