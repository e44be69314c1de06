using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Platform.EcsSamples;
using Platform.EcsSimulator;
using Platform.Testing;
using Xunit;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The fault scenario: while events flow, each service (ingest, history, notifier, digest, retry) is killed (SIGKILL)
/// and started again, and Slack answers 429 and then 500 for a while; the ECS simulator launches jobs that fail to
/// launch (retry relaunches them through it) and a job that overruns (retry stops it). Afterwards every run is counted
/// once, every job summary equals what <c>rebuild</c> folds from the stored events, every failure was alerted once,
/// each digest period (a minute) was sent once, every relaunch chain ended in exactly one outcome, every overrun was
/// stopped with one decision, nothing is left failed or pending. CI runs it small (about 2,100 events);
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
    // Jobs the simulator launches: each third one never launches (its chain ends "retries exhausted"), the others
    // launch on the first relaunch; the overrunning ones are stopped. Their names are outside the route's match.
    private static readonly int RelaunchedJobs = Full ? 30 : 6;
    private static readonly int OverrunJobs = Full ? 6 : 2;
    private const string RunTask = "AmazonEC2ContainerServiceV20141113.RunTask";
    private readonly EcsEventFactory ecs = new(cluster: "faults");
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly string prefix = "fault-" + Guid.NewGuid().ToString("N")[..6];
    private readonly string config = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    private readonly DateTimeOffset day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
    // The digest service asks history for reports at this address, across history's restarts.
    private readonly int historyPort = LoopbackPort.Free();
    // The simulator sends its events to ingest at this address, across ingest's restarts.
    private readonly int ingestPort = LoopbackPort.Free();
    private RabbitMqVirtualHost vhost = null!;
    private FakeSlack slack = null!;
    private WebApplication simulator = null!;

    public async Task InitializeAsync()
    {
        vhost = await RabbitMqVirtualHost.CreateAsync();
        slack = await FakeSlack.StartAsync();
        // Storm grouping off: each failing job's alert is counted on its own.
        var monitors = string.Concat(
            Enumerable.Range(0, RelaunchedJobs).Select(k => $"  - job: {Relaunched(k)}\n    retry: {{ launch: {{ reasons: [AGENT], maxAttempts: 3, interval: 1s, backoffRate: 1 }} }}\n")
                .Concat(Enumerable.Range(0, OverrunJobs).Select(k => $"  - job: {Overrun(k)}\n    timeout: 3s\n")));
        await File.WriteAllTextAsync(config, $"routes:\n  - name: team\n    match: {{ jobs: [\"{prefix}-*\"] }}\n    slack: {{ webhookUrl: \"{slack.WebhookUrl("FAULTS")}\" }}\n    digest: {{ schedule: \"rate(1 minute)\" }}\nstorm: {{ threshold: 1000, window: 1m }}\nmonitors:\n{monitors}");
        var jobs = new Dictionary<string, string?>
        {
            ["Simulator:IngestUrl"] = $"http://127.0.0.1:{ingestPort}/",
            ["Simulator:IngestApiKey"] = ApiKey,
        };
        for (var k = 0; k < RelaunchedJobs; k++)
        {
            jobs[$"Simulator:Jobs:{Relaunched(k)}:LaunchFailures"] = Exhausts(k) ? "100" : "1";
            jobs[$"Simulator:Jobs:{Relaunched(k)}:RunFor"] = "00:00:01";
        }
        for (var k = 0; k < OverrunJobs; k++)
            jobs[$"Simulator:Jobs:{Overrun(k)}:RunFor"] = "00:10:00";
        simulator = await EcsSimulatorHost.StartAsync(jobs);
    }

    private string Relaunched(int k) => $"{prefix}r-relaunch-{k:D2}";

    private static bool Exhausts(int k) => k % 3 == 0;

    private string Overrun(int k) => $"{prefix}r-overrun-{k:D2}";

    public async Task DisposeAsync()
    {
        await simulator.DisposeAsync();
        await slack.DisposeAsync();
        await vhost.DisposeAsync();
        File.Delete(config);
        await postgres.DropSchemaAsync(schema);
        await postgres.DropSchemaAsync(schema + "_n");
        await postgres.DropSchemaAsync(schema + "_d");
        await postgres.DropSchemaAsync(schema + "_r");
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
        var ingest = await ServiceProcess.StartAsync("Platform.Ingest", Environment(), ingestPort);
        var history = await ServiceProcess.StartAsync("Platform.History", Environment(), historyPort);
        var notifier = await ServiceProcess.StartAsync("Platform.Notifier", Environment());
        var digest = await ServiceProcess.StartAsync("Platform.Digest", Environment());
        var retry = await ServiceProcess.StartAsync("Platform.Retry", Environment());
        var ecsControl = new HttpClient { BaseAddress = new Uri(simulator.Urls.First()) };
        try
        {
            var chunks = events.Chunk(40).ToList();
            for (var i = 0; i < chunks.Count; i++)
            {
                // The scheduled launches, as EventBridge makes them: calls inside the simulator, recorded by its CloudTrail.
                if (i == chunks.Count / 8)
                    foreach (var family in Enumerable.Range(0, RelaunchedJobs).Select(Relaunched).Concat(Enumerable.Range(0, OverrunJobs).Select(Overrun)))
                        (await ecsControl.PostAsync($"/_simulator/launch/{family}", null)).EnsureSuccessStatusCode();
                // Killed while chains wait out their backoff, relaunch, or time out; and once more later.
                if (i == chunks.Count / 5 || i == chunks.Count / 2)
                    retry = await RestartAsync(retry, "Platform.Retry");
                if (i == chunks.Count / 4)
                    history = await RestartAsync(history, "Platform.History", historyPort);
                if (i == chunks.Count / 3)
                    digest = await RestartAsync(digest, "Platform.Digest");
                if (i == chunks.Count * 2 / 5)
                    notifier = await RestartAsync(notifier, "Platform.Notifier");
                if (i == chunks.Count * 3 / 5)
                    ingest = await RestartAsync(ingest, "Platform.Ingest", ingestPort);
                if (Full && i == chunks.Count * 7 / 10)
                    await Infrastructure("rabbitmqctl", "stop_app", "rabbitmqctl", "start_app");
                if (Full && i == chunks.Count * 4 / 5)
                    await Infrastructure("pg_ctlcluster", $"{PostgresVersion} main stop -m fast", "pg_ctlcluster", $"{PostgresVersion} main start");
                await PostUntilAcceptedAsync(ingest, chunks[i]);
            }

            var api = history.Client();
            JsonArray summaries;
            try
            {
                summaries = await Eventually.Get(() => Summaries(api, prefix + "-"),
                    jobs => jobs.Sum(j => j!["successCount"]!.GetValue<int>() + j["failureCount"]!.GetValue<int>()) >= Jobs * RunsPerJob,
                    TimeSpan.FromSeconds(Full ? 600 : 90), "every run summarized");
            }
            catch (TimeoutException e)
            {
                // Where the runs are: how many were summarized, what waits in which queue, what history and ingest said.
                var counted = (await Summaries(api, prefix + "-")).Sum(j => j!["successCount"]!.GetValue<int>() + j["failureCount"]!.GetValue<int>());
                static string Tail(ServiceProcess p) => p.Output.Length > 4000 ? p.Output[^4000..] : p.Output;
                throw new TimeoutException($"Timed out waiting for every run summarized: {counted} of {Jobs * RunsPerJob}; queues " +
                    string.Join(", ", (await vhost.QueueDepthsAsync()).Select(q => $"{q.Key}={q.Value}")) +
                    $"\nhistory (end):\n{Tail(history)}\ningest (end):\n{Tail(ingest)}", e);
            }
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

            try
            {
                await Eventually.Get(() => Task.FromResult(Alerts()),
                    posts => posts.Count >= FailingJobs, TimeSpan.FromSeconds(Full ? 420 : 90), "an alert for every failing job");
            }
            catch (TimeoutException e)
            {
                // Which deliveries are where, and what the notifier said.
                var recorded = await notifier.Client().GetStringAsync("/deliveries?limit=1000");
                var statuses = JsonNode.Parse(recorded)!.AsArray().GroupBy(d => d!["status"]!.GetValue<string>()).Select(g => $"{g.Key}={g.Count()}");
                throw new TimeoutException($"{Alerts().Count} alerts of {FailingJobs}, {slack.Requests} Slack requests; deliveries {string.Join(", ", statuses)}; queues " +
                    string.Join(", ", (await vhost.QueueDepthsAsync()).Select(q => $"{q.Key}={q.Value}")) +
                    $"\nnotifier (end):\n{(notifier.Output.Length > 4000 ? notifier.Output[^4000..] : notifier.Output)}", e);
            }
            // rate(1 minute): the first digest covers from when the digest service first saw the route to the next minute.
            await Eventually.Get(() => Task.FromResult(Digests()), posts => posts.Count >= 2, TimeSpan.FromMinutes(3), "two digests");
            await Task.Delay(TimeSpan.FromSeconds(3));
            var jobsAlerted = Alerts().Select(p => p.Text.Split(' ')[1]).ToList();
            // A job alerted twice: both posts, so the difference between them says which path sent the second.
            var twice = Alerts().GroupBy(p => p.Text.Split(' ')[1]).FirstOrDefault(g => g.Count() > 1);
            Assert.True(twice is null, twice is null ? "" : $"{jobsAlerted.Count - jobsAlerted.Distinct().Count()} jobs alerted more than once, as {twice.Key}:\n" +
                string.Join("\n", twice.Select(p => $"{p.At:HH:mm:ss.fff} {p.Body.ToJsonString()}")));
            Assert.Equal(Enumerable.Range(0, FailingJobs).Select(j => $"{prefix}-{j:D3}"), jobsAlerted.Order());
            Assert.True(slack.Requests > slack.Posts.Count, "Slack refused some requests");
            // Each due digest once: every period starts where the one before ended, none is sent twice.
            var periods = Digests().Select(p => Regex.Match(p.Text, @"(\d{4}-\d\d-\d\d \d\d:\d\d) – (\d{4}-\d\d-\d\d \d\d:\d\d)"))
                .Select(m => (From: m.Groups[1].Value, To: m.Groups[2].Value)).OrderBy(p => p.From, StringComparer.Ordinal).ToList();
            Assert.All(periods, p => Assert.NotEmpty(p.From));
            Assert.All(periods.Zip(periods.Skip(1)), pair => Assert.Equal(pair.First.To, pair.Second.From));

            var (chains, exhausted, stops) = await RetryOutcomesAsync(api);

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
                $"{Alerts().Count} alerts for {FailingJobs} failures, {periods.Count} digests, each period once, after {slack.Requests - slack.Posts.Count} refused Slack requests; " +
                $"{chains} relaunch chains ended once each ({exhausted} exhausted), {stops} overruns stopped once, through 2 kills of retry; in {started.Elapsed.TotalSeconds:F0} s");
        }
        finally
        {
            await ingest.DisposeAsync();
            await history.DisposeAsync();
            await notifier.DisposeAsync();
            await digest.DisposeAsync();
            await retry.DisposeAsync();
        }
    }

    /// <summary>
    /// Waits until every chain ended and every overrun was stopped, then checks that each ended once: the relaunched
    /// jobs' runs, their decisions in history (no decision twice, one outcome), and the RunTask calls ECS saw.
    /// </summary>
    private async Task<(int Chains, int Exhausted, int Stops)> RetryOutcomesAsync(HttpClient api)
    {
        var ecs = simulator.Services.GetRequiredService<SimulatedEcs>();
        try
        {
            await WaitForRetryOutcomesAsync(api);
        }
        catch (TimeoutException e)
        {
            var states = new List<string>();
            foreach (var job in Enumerable.Range(0, RelaunchedJobs).Select(Relaunched).Concat(Enumerable.Range(0, OverrunJobs).Select(Overrun)))
            {
                var runs = await api.GetAsync($"/jobs/{job}/runs") is { IsSuccessStatusCode: true } r ? await r.Content.ReadAsStringAsync() : "[]";
                var statuses = string.Join(",", JsonNode.Parse(runs)!.AsArray().Select(x => $"{x!["status"]}/{x["attempt"]}"));
                var calls = ecs.Calls.Count(c => c.Body["taskDefinition"]?.GetValue<string>()?.Contains($"/{job}:", StringComparison.Ordinal) == true);
                states.Add($"{job}: decisions [{string.Join(",", await DecisionsWithAttempts(api, job))}] runs [{statuses}] RunTask calls {calls}");
            }
            throw new TimeoutException(e.Message + "\n" + string.Join("\n", states), e);
        }
        // Nothing is left to arrive late: every decision retry stored is published (its outbox is empty) and history
        // has consumed them all (its decision queue is empty).
        await Eventually.Get(async () =>
        {
            await using var connection = new Npgsql.NpgsqlConnection(postgres.ConnectionString);
            await connection.OpenAsync();
            await using var unpublished = new Npgsql.NpgsqlCommand($"select count(*) from {schema}_r.mt_doc_outboxmessage", connection);
            return (long)(await unpublished.ExecuteScalarAsync())! + (await vhost.QueueDepthsAsync()).GetValueOrDefault("history-retry-decisions");
        }, left => left == 0, TimeSpan.FromSeconds(60), "retry's outbox and history's decision queue to be empty");

        for (var k = 0; k < RelaunchedJobs; k++)
        {
            var job = Relaunched(k);
            var decisions = await DecisionsWithAttempts(api, job);
            Assert.True(decisions.Count == decisions.Distinct().Count(), $"{job}: a decision was recorded twice: {string.Join(", ", decisions)}");
            // ECS's view: one RunTask per relaunch attempt (a call repeated after a kill carries the same clientToken).
            var relaunches = ecs.Calls.Where(c => c.Target == RunTask && c.Body["taskDefinition"]!.GetValue<string>().Contains($"/{job}:", StringComparison.Ordinal)
                    && c.Body["startedBy"]?.GetValue<string>()?.StartsWith("platform/", StringComparison.Ordinal) == true)
                .DistinctBy(c => c.Body["clientToken"]!.GetValue<string>()).Select(c => c.Body["startedBy"]!.GetValue<string>().Split('/')[2]).Order().ToList();
            if (Exhausts(k))
            {
                Assert.Equal(1, decisions.Count(d => d.Decision == "retries-exhausted"));
                Assert.Equal(["2", "3"], relaunches);
            }
            else
            {
                Assert.Equal([("relaunch-scheduled", 2), ("relaunched", 2)], decisions.Order());
                Assert.Equal(["2"], relaunches);
                var runs = (await api.GetFromJsonAsync<JsonArray>($"/jobs/{job}/runs"))!;
                Assert.Equal(["launch-failed", "succeeded"], runs.Select(r => r!["status"]!.GetValue<string>()).Order());
            }
        }
        for (var k = 0; k < OverrunJobs; k++)
        {
            Assert.Equal(["timed-out"], await Decisions(api, Overrun(k)));
            var run = Assert.Single((await api.GetFromJsonAsync<JsonArray>($"/jobs/{Overrun(k)}/runs"))!)!;
            Assert.Equal("timed-out", run["failureKind"]!.GetValue<string>());
        }
        return (RelaunchedJobs, Enumerable.Range(0, RelaunchedJobs).Count(Exhausts), OverrunJobs);
    }

    private Task WaitForRetryOutcomesAsync(HttpClient api) =>
        Eventually.Get(async () =>
            {
                var ended = 0;
                for (var k = 0; k < RelaunchedJobs; k++)
                    ended += (await Decisions(api, Relaunched(k))).Any(d => d is "retries-exhausted" or "relaunched" && (!Exhausts(k) || d == "retries-exhausted")) ? 1 : 0;
                for (var k = 0; k < OverrunJobs; k++)
                    ended += (await Decisions(api, Overrun(k))).Contains("timed-out") ? 1 : 0;
                return ended;
            }, ended => ended == RelaunchedJobs + OverrunJobs, TimeSpan.FromSeconds(Full ? 300 : 120), "every relaunch chain to end and every overrun to be stopped");

    private static async Task<List<string>> Decisions(HttpClient api, string job) =>
        [.. (await DecisionsWithAttempts(api, job)).Select(d => d.Decision)];

    private static async Task<List<(string Decision, int Attempt)>> DecisionsWithAttempts(HttpClient api, string job)
    {
        var response = await api.GetAsync($"/jobs/{job}/retries");
        if (!response.IsSuccessStatusCode)
            return [];
        return [.. (await response.Content.ReadFromJsonAsync<JsonArray>())!.Select(d => (d!["decision"]!.GetValue<string>(), d["attempt"]?.GetValue<int>() ?? 0))];
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

    /// <summary>The summaries of this test's jobs (those whose names start with <paramref name="namePrefix"/>; default: all of them).</summary>
    private async Task<JsonArray> Summaries(HttpClient api, string? namePrefix = null)
    {
        var all = (await api.GetFromJsonAsync<JsonArray>("/jobs"))!;
        return [.. all.Where(j => Name(j).StartsWith(namePrefix ?? prefix, StringComparison.Ordinal)).Select(j => j!.DeepClone())];
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
        ["Retry__Schema"] = schema + "_r",
        ["Retry__PollInterval"] = "00:00:00.200",
        // Every AWS call (retry's, history's DescribeTaskDefinition) goes to the simulator; it checks signatures, not who signed.
        ["Aws__Region"] = "eu-west-1",
        ["Aws__ServiceUrl"] = simulator.Urls.First(),
        ["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLESIMULATOR",
        ["AWS_SECRET_ACCESS_KEY"] = "simulator-secret-key",
        ["AWS_EC2_METADATA_DISABLED"] = "true",
    };
}
