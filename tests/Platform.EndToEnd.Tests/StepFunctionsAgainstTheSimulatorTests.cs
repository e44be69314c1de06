using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.EcsSamples;
using Platform.EcsSimulator;
using Platform.Testing;
using Xunit;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// Step Functions executions end to end: the ECS simulator runs two state machines (a chain of <c>ecs:runTask.sync</c>
/// steps with Retry) and sends their execution and task events to ingest; history reads each ended execution's history
/// from the simulator (signed GetExecutionHistory) and the notifier posts to a fake Slack. Ingest, history and notifier
/// are processes over RabbitMQ.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class StepFunctionsAgainstTheSimulatorTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string ApiKey = "e2e-ingest-key-0123456789";
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly string prefix = "sfn-" + Guid.NewGuid().ToString("N")[..6];
    private readonly string configFile = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    private RabbitMqVirtualHost vhost = null!;

    public async Task InitializeAsync() => vhost = await RabbitMqVirtualHost.CreateAsync();

    public async Task DisposeAsync()
    {
        await vhost.DisposeAsync();
        await postgres.DropSchemaAsync(schema);
        await postgres.DropSchemaAsync(schema + "_n");
        File.Delete(configFile);
    }

    [Fact]
    public async Task A_step_retried_to_success_posts_nothing_and_a_step_that_exhausted_its_retries_posts_one_alert_naming_it()
    {
        await using var slack = await FakeSlack.StartAsync();
        await File.WriteAllTextAsync(configFile, "secrets: [PLATFORM_E2E_SLACK_WEBHOOK]\nroutes:\n  - name: team\n    slack: { webhookUrl: \"${PLATFORM_E2E_SLACK_WEBHOOK}\" }\ndefaultRoute: team\n");
        await using var ingest = await ServiceProcess.StartAsync("Platform.Ingest", Environment(("Ingest__ApiKey", ApiKey)));
        var (retried, exhausted) = ($"{prefix}-nightly", $"{prefix}-weekly");
        await using var simulator = await EcsSimulatorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Simulator:IngestUrl"] = ingest.BaseAddress.ToString(),
            ["Simulator:IngestApiKey"] = ApiKey,
            [$"Simulator:StateMachines:{retried}:MaxAttempts"] = "3",
            [$"Simulator:StateMachines:{retried}:RetryInterval"] = "00:00:01",
            [$"Simulator:StateMachines:{retried}:RunFor"] = "00:00:01",
            [$"Simulator:StateMachines:{retried}:Steps:0:State"] = $"{prefix}-extract",
            [$"Simulator:StateMachines:{retried}:Steps:1:State"] = $"{prefix}-transform",
            [$"Simulator:StateMachines:{retried}:Steps:1:Failures"] = "2",
            [$"Simulator:StateMachines:{exhausted}:MaxAttempts"] = "2",
            [$"Simulator:StateMachines:{exhausted}:RetryInterval"] = "00:00:01",
            [$"Simulator:StateMachines:{exhausted}:RunFor"] = "00:00:01",
            [$"Simulator:StateMachines:{exhausted}:Steps:0:State"] = $"{prefix}-load",
            [$"Simulator:StateMachines:{exhausted}:Steps:0:Failures"] = "5",
            [$"Simulator:StateMachines:{exhausted}:Steps:0:ExitCode"] = "4",
        });
        var common = new (string, string)[]
        {
            ("Platform__ConfigFile", configFile), ("Aws__Region", "eu-west-1"), ("Aws__ServiceUrl", simulator.Urls.First()),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLESIMULATOR"), ("AWS_SECRET_ACCESS_KEY", "simulator-secret-key"),
            // Every service reads the whole platform file, secrets named in it included.
            ("PLATFORM_E2E_SLACK_WEBHOOK", slack.WebhookUrl("E2E")),
        };
        await using var history = await ServiceProcess.StartAsync("Platform.History", Environment([("History__Schema", schema),
            ("History__ExecutionLinkInterval", "00:00:00.500"), ("History__AttemptGrace", "00:00:03"), .. common]));
        await using var notifier = await ServiceProcess.StartAsync("Platform.Notifier", Environment([("Notifier__Schema", schema + "_n"),
            ("Notifier__MinimumInterval", "00:00:00.050"), .. common]));
        var api = history.Client();
        var control = new HttpClient { BaseAddress = new Uri(simulator.Urls.First()) };

        foreach (var machine in new[] { retried, exhausted })
            (await control.PostAsync($"/_simulator/execute/{machine}", null)).EnsureSuccessStatusCode();

        var alert = await Eventually.Get(() => Task.FromResult(slack.Posts.ToList()), p => p.Count >= 1, TimeSpan.FromSeconds(90), "the exhausted execution's alert\n" + history.Output);
        Assert.Contains($"{exhausted} failed in state {prefix}-load: States.TaskFailed", alert[0].Text);
        // Both executions read, and every failed task an attempt of its execution.
        foreach (var machine in new[] { retried, exhausted })
            await Eventually.Get(() => Runs(api, machine), r => r.Count == 1 && r[0]!["linked"]!.GetValue<bool>(), TimeSpan.FromSeconds(60), machine + " linked");
        var transform = await Eventually.Get(() => Runs(api, $"{prefix}-transform"),
            r => r.Count == 3 && r.Where(x => x!["status"]!.GetValue<string>() == "failed").All(x => x!["executionArn"] is not null),
            TimeSpan.FromSeconds(60), "the transform attempts claimed");
        Assert.Equal(2, transform.Count(r => r!["status"]!.GetValue<string>() == "failed"));
        var load = await Eventually.Get(() => Runs(api, $"{prefix}-load"), r => r.Count == 2 && r.All(x => x!["executionArn"] is not null),
            TimeSpan.FromSeconds(60), "the load attempts claimed");

        // A failure of another job, posted after all of that was settled: when it reaches Slack, anything else would have.
        var ecs = new EcsEventFactory();
        var client = new HttpClient { BaseAddress = ingest.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        var marker = ecs.Run($"{prefix}-marker", DateTimeOffset.UtcNow.AddMinutes(-5), TimeSpan.FromMinutes(1), RunEnding.ExitCode, exitCode: 9);
        (await client.PostAsync("/events", JsonContent.Create(new JsonArray([.. marker])))).EnsureSuccessStatusCode();
        await Eventually.Get(() => Task.FromResult(slack.Posts.ToList()), p => p.Any(x => x.Text.Contains(prefix + "-marker")), TimeSpan.FromSeconds(60), "the marker's alert");
        Assert.Equal(2, slack.Posts.Count);
        Assert.DoesNotContain(slack.Posts, p => p.Text.Contains(retried) || p.Text.Contains("transform"));
        var nightly = (await Runs(api, retried))[0]!;
        Assert.Equal("succeeded", nightly["status"]!.GetValue<string>());
        Assert.Equal(2, nightly["execution"]!["failedAttempts"]!.GetValue<int>());
        Assert.Equal(2, load.Count);
    }

    private static async Task<JsonArray> Runs(HttpClient api, string job)
    {
        var response = await api.GetAsync($"/jobs/{job}/runs");
        return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonArray>())! : [];
    }

    private Dictionary<string, string> Environment(params (string Key, string Value)[] settings) =>
        ServiceEnvironment.OverRabbitMq(postgres, vhost, settings);
}
