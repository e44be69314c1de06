using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Platform.EcsSimulator;
using Platform.Testing;
using Xunit;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// Ingest, history and retry as separate processes over RabbitMQ, with the ECS simulator standing in for ECS: it
/// answers the signed RunTask/StopTask/DescribeTasks calls and sends EventBridge's events to ingest.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class RetryAgainstTheEcsSimulatorTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string ApiKey = "e2e-ingest-key-0123456789";
    private const string RunTask = "AmazonEC2ContainerServiceV20141113.RunTask";
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly string prefix = "sim-" + Guid.NewGuid().ToString("N")[..6];
    private readonly string configFile = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    private RabbitMqVirtualHost vhost = null!;

    public async Task InitializeAsync() => vhost = await RabbitMqVirtualHost.CreateAsync();

    public async Task DisposeAsync()
    {
        await vhost.DisposeAsync();
        await postgres.DropSchemaAsync(schema);
        await postgres.DropSchemaAsync(schema + "_r");
        File.Delete(configFile);
    }

    [Fact]
    public async Task Launch_failures_are_relaunched_whole_up_to_maxAttempts_a_restart_in_backoff_loses_nothing_and_an_overrun_is_stopped()
    {
        await File.WriteAllTextAsync(configFile, $$"""
            monitors:
              - job: {{prefix}}-report
                retry: { launch: { reasons: [AGENT], maxAttempts: 3, interval: 1s, backoffRate: 1 } }
              - job: {{prefix}}-flaky
                retry: { launch: { reasons: [AGENT], maxAttempts: 3, interval: 1s, backoffRate: 1 } }
              - job: {{prefix}}-slow
                retry: { launch: { reasons: [AGENT], maxAttempts: 3, interval: 8s } }
              - job: {{prefix}}-overrun
                timeout: 4s
              - job: {{prefix}}-etl
                retry: { failure: { kinds: [exit-code], maxAttempts: 2, interval: 1s } }
            """);
        await using var ingest = await ServiceProcess.StartAsync("Platform.Ingest", Environment(("Ingest__ApiKey", ApiKey)));
        await using var simulator = await EcsSimulatorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Simulator:IngestUrl"] = ingest.BaseAddress.ToString(),
            ["Simulator:IngestApiKey"] = ApiKey,
            [$"Simulator:Jobs:{prefix}-report:LaunchFailures"] = "1",
            [$"Simulator:Jobs:{prefix}-report:RunFor"] = "00:00:01",
            [$"Simulator:Jobs:{prefix}-flaky:LaunchFailures"] = "100",
            [$"Simulator:Jobs:{prefix}-slow:LaunchFailures"] = "1",
            [$"Simulator:Jobs:{prefix}-slow:RunFor"] = "00:00:01",
            [$"Simulator:Jobs:{prefix}-overrun:RunFor"] = "00:10:00",
            [$"Simulator:Jobs:{prefix}-etl:RunFor"] = "00:00:01",
            [$"Simulator:Jobs:{prefix}-etl:ExitCode"] = "3",
        });
        var ecs = simulator.Services.GetRequiredService<SimulatedEcs>();
        // History publishes a run's start for jobs with a timeout: it reads the same platform file as retry.
        await using var history = await ServiceProcess.StartAsync("Platform.History", Environment(("History__Schema", schema), ("Platform__ConfigFile", configFile)));
        var retryEnvironment = Environment(
            ("Retry__Schema", schema + "_r"), ("Aws__Region", "eu-west-1"), ("Aws__ServiceUrl", simulator.Urls.First()),
            ("Retry__PollInterval", "00:00:00.200"), ("Platform__ConfigFile", configFile),
            // A CloudTrail record not found yet (the simulator records as it answers) is asked for again in 2 s, not 30.
            ("Retry__CloudTrailLookupInterval", "00:00:02"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLESIMULATOR"), ("AWS_SECRET_ACCESS_KEY", "simulator-secret-key"));
        var retry = await ServiceProcess.StartAsync("Platform.Retry", retryEnvironment);
        var api = history.Client();
        var control = new HttpClient { BaseAddress = new Uri(simulator.Urls.First()) };

        try
        {
            // The scheduled launches, as EventBridge makes them: unsigned calls inside the simulator.
            foreach (var job in new[] { "report", "flaky", "slow", "overrun", "etl" })
                (await control.PostAsync($"/_simulator/launch/{prefix}-{job}", null)).EnsureSuccessStatusCode();
            var launchedAt = DateTimeOffset.UtcNow;

            // Restart retry while the slow job's relaunch waits out its 8 s backoff.
            await Eventually.Get(() => Runs(api, "slow"), r => r.Count == 1, TimeSpan.FromSeconds(30), "the slow job's launch failure in history");
            await Task.Delay(TimeSpan.FromSeconds(2));
            await retry.DisposeAsync();
            retry = await ServiceProcess.StartAsync("Platform.Retry", retryEnvironment);

            var report = await Eventually.Get(() => Runs(api, "report"), r => r.Any(x => x!["status"]!.GetValue<string>() == "succeeded"),
                TimeSpan.FromSeconds(60), "the relaunched report to succeed\n" + retry.Output);
            Assert.Equal(["launch-failed", "succeeded"], report.Select(r => r!["status"]!.GetValue<string>()).Order());
            var relaunch = Assert.Single(Calls(ecs, "report"));
            var original = (JsonObject)relaunch.Body.DeepClone();
            Assert.Matches("^platform/[0-9a-f]{16}/2$", original["startedBy"]!.GetValue<string>());
            Assert.Equal(relaunch.Body["startedBy"]!.GetValue<string>(), report.Single(r => r!["status"]!.GetValue<string>() == "succeeded")!["startedBy"]!.GetValue<string>());
            Assert.Single(report.Select(r => r!["chain"]!.GetValue<string>()).Distinct());
            Assert.Equal([1, 2], report.Select(r => r!["attempt"]!.GetValue<int>()).Order());
            var decisions = await Eventually.Get(() => api.GetFromJsonAsync<JsonArray>($"/jobs/{prefix}-report/retries")!, d => d!.Count >= 2,
                TimeSpan.FromSeconds(10), "the report's retry decisions in history");
            Assert.Equal(["relaunch-scheduled", "relaunched"], decisions!.Select(d => d!["decision"]!.GetValue<string>()));
            foreach (var parameter in new[] { "cluster", "taskDefinition", "count", "launchType", "networkConfiguration", "overrides", "placementStrategy", "tags", "propagateTags", "enableECSManagedTags", "group", "clientToken" })
                Assert.True(original[parameter] is not null, $"the relaunch lost {parameter}");

            await Eventually.Get(() => Task.FromResult(Calls(ecs, "flaky")), c => c.Count >= 2, TimeSpan.FromSeconds(60), "the flaky job's relaunches\n" + retry.Output);
            var overrun = await Eventually.Get(() => Runs(api, "overrun"), r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "failed",
                TimeSpan.FromSeconds(60), "the overrunning run to be stopped\n" + retry.Output);
            Assert.Equal("timed-out", overrun[0]!["failureKind"]!.GetValue<string>());
            Assert.Equal("Stopped by Platform: exceeded timeout of 4s", overrun[0]!["stoppedReason"]!.GetValue<string>());
            // The restart above can fall between the stop's commit and its message: the new leader then publishes the
            // stored decision once it has waited 5 s for its own publisher.
            var stopped = await Eventually.Get(() => api.GetFromJsonAsync<JsonArray>($"/jobs/{prefix}-overrun/retries")!, d => d!.Count >= 1,
                TimeSpan.FromSeconds(30), "the timeout decision in history");
            Assert.Equal("timed-out", Assert.Single(stopped!)!["decision"]!.GetValue<string>());

            var slow = await Eventually.Get(() => Task.FromResult(Calls(ecs, "slow")), c => c.Count >= 1, TimeSpan.FromSeconds(30), "the slow job's relaunch after the restart");
            Assert.True(slow[0].At - launchedAt >= TimeSpan.FromSeconds(7), $"relaunched {slow[0].At - launchedAt} after the failure, before its due time");

            // A failed run is retried (opted in for exit-code) with the request CloudTrail recorded, once: maxAttempts is 2.
            var etl = await Eventually.Get(() => Runs(api, "etl"), r => r.Count == 2 && r.All(x => x!["status"]!.GetValue<string>() == "failed"),
                TimeSpan.FromSeconds(60), "the etl job's run and its retry to fail\n" + retry.Output);
            var etlRetry = Assert.Single(Calls(ecs, "etl"));
            Assert.NotNull(etlRetry.Body["networkConfiguration"]);
            Assert.Matches("/2$", etlRetry.Body["startedBy"]!.GetValue<string>());

            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.Single(Calls(ecs, "etl"));
            var flaky = await api.GetFromJsonAsync<JsonArray>($"/jobs/{prefix}-flaky/retries");
            Assert.Equal(1, flaky!.Count(d => d!["decision"]!.GetValue<string>() == "retries-exhausted"));
            Assert.Equal(["2", "3"], Calls(ecs, "flaky").Select(c => c.Body["startedBy"]!.GetValue<string>().Split('/')[2]));
            Assert.Single(Calls(ecs, "slow"));
            Assert.Single(Calls(ecs, "report"));
            Assert.Single(ecs.Calls, c => c.Target.EndsWith(".StopTask", StringComparison.Ordinal));
        }
        finally
        {
            await retry.DisposeAsync();
        }
    }

    /// <summary>
    /// The relaunch attempts ECS saw for a job: RunTask calls by client token. A retry killed between its call and its
    /// commit calls again with the same token, which ECS answers as before, without starting anything.
    /// </summary>
    private List<SimulatorCall> Calls(SimulatedEcs ecs, string job) =>
        ecs.Calls.Where(c => c.Target == RunTask && c.Body["taskDefinition"]!.GetValue<string>().Contains($"/{prefix}-{job}:", StringComparison.Ordinal))
            .DistinctBy(c => c.Body["clientToken"]!.GetValue<string>()).ToList();

    private async Task<JsonArray> Runs(HttpClient api, string job)
    {
        var response = await api.GetAsync($"/jobs/{prefix}-{job}/runs");
        return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonArray>())! : [];
    }

    private Dictionary<string, string> Environment(params (string Key, string Value)[] settings) =>
        ServiceEnvironment.OverRabbitMq(postgres, vhost, settings);
}
