using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Testing;
using Platform.Contracts.History;
using Platform.Contracts.Retry;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.RecordEcsEvents;

[Collection(PostgresCollection.Name)]
public class MonitorsAndLaunchRequestsTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly EcsEventFactory ecs = new();
    private readonly DateTimeOffset day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
    private readonly string configFile = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");

    public Task InitializeAsync() => File.WriteAllTextAsync(configFile, """
        monitors:
          - job: reports
            match: { family: "report-*", cluster: batch }
          - job: etl
            containers: [app]
          - job: export
            maxDuration: 2m
          - job: nightly-report
            timeout: 1h
          - job: long-etl
            timeout: 4h
          - job: quick-check
            minDuration: 1m
            recoverAfter: 2
        """);

    public Task DisposeAsync()
    {
        File.Delete(configFile);
        return Task.CompletedTask;
    }

    /// <summary>The app exits 0 and its log router 1: a failure, unless only the app decides.</summary>
    private List<JsonObject> RunWithFailingSidecar(string family, string taskId)
    {
        var run = ecs.Run(family, day.AddHours(1), TimeSpan.FromMinutes(5), taskId: taskId).ToList();
        foreach (var container in run.SelectMany(e => e["detail"]!["containers"]!.AsArray()).Where(c => c!["name"]!.GetValue<string>() == "log-router" && c["exitCode"] is not null))
            container!["exitCode"] = 1;
        return run;
    }

    [Fact]
    public async Task A_monitor_names_jobs_by_match_and_decides_success_by_its_containers()
    {
        await using var app = new HistoryApp(postgres, configFile: configFile);
        await app.PostAsync([.. ecs.Run("report-daily", day, TimeSpan.FromMinutes(1), taskId: "r1"), .. ecs.Run("report-weekly", day, TimeSpan.FromMinutes(1), taskId: "r2"),
            .. RunWithFailingSidecar("etl", "e1"), .. RunWithFailingSidecar("import", "i1")]);
        await app.WaitForSummariesAsync(4);

        var jobs = (await app.GetArrayAsync("/jobs")).ToDictionary(j => j!["name"]!.GetValue<string>());
        Assert.Equal(["etl", "import", "reports"], jobs.Keys.Order());
        Assert.Equal(2, jobs["reports"]!["successCount"]!.GetValue<int>());
        Assert.Equal(1, jobs["etl"]!["successCount"]!.GetValue<int>());
        Assert.Equal(1, jobs["import"]!["failureCount"]!.GetValue<int>());
        var etl = Assert.Single(await app.GetArrayAsync("/jobs/etl/runs"))!;
        Assert.Equal([0, 1], etl["containers"]!.AsArray().Select(c => c!["exitCode"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_failed_run_carries_the_RunTask_request_CloudTrail_recorded_and_its_start_is_published_once()
    {
        // nightly-report has a timeout: retry watches its runs, so their starts are published.
        await using var app = new HistoryApp(postgres, configFile: configFile);
        var request = ecs.RunTaskRequest("nightly-report", day);
        var run = ecs.Run("nightly-report", day, TimeSpan.FromMinutes(3), RunEnding.ExitCode, taskId: "n1", exitCode: 4);
        var record = ecs.LaunchSucceeded(request, day, ecs.TaskArn("n1"));
        await app.PostAsync([record, .. run.Take(3)]);
        await app.PostAsync([record, .. run]);
        await app.WaitForSummariesAsync(1);

        var failed = await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunFailed>().ToList()), l => l.Count >= 1, what: "RunFailed");
        var carried = failed[0].Context.Message.LaunchRequest;
        Assert.NotNull(carried);
        // The record's own eventID, under which retry asks CloudTrail for the request before replaying it.
        Assert.Equal(record["detail"]!["eventID"]!.GetValue<string>(), failed[0].Context.Message.LaunchRequestEventId);
        Assert.True(JsonNode.DeepEquals(request, JsonNode.Parse(carried.Value.GetRawText())), "RunFailed must carry the whole recorded request");
        await Task.Delay(500);
        var started = Assert.Single(app.Harness.Published.Select<RunStarted>()).Context.Message;
        Assert.Equal(ecs.TaskArn("n1"), started.TaskArn);
        Assert.Equal(day, started.CreatedAt);
    }

    [Fact]
    public async Task Retry_decisions_are_recorded_once_each_on_the_jobs_timeline()
    {
        await using var app = new HistoryApp(postgres);
        var scheduled = new RelaunchScheduled("0123456789abcdef", "billing", "batch", 2, 3, day.AddSeconds(10), "AGENT");
        await app.Harness.Bus.Publish(scheduled);
        await app.Harness.Bus.Publish(scheduled);
        await app.Harness.Bus.Publish(new TaskRelaunched("0123456789abcdef", "billing", "batch", 2, 3, ecs.TaskArn("b2")));
        await app.Harness.Bus.Publish(new RunTimedOut(ecs.TaskArn("x1"), "billing", "batch", ecs.TaskArn("x1"), TimeSpan.FromMinutes(30), day, "Stopped by Platform: exceeded timeout of 30m"));

        var decisions = await Eventually.Get(() => app.GetArrayAsync("/jobs/billing/retries"), d => d.Count >= 3, what: "three decisions");
        await Task.Delay(500);
        decisions = await app.GetArrayAsync("/jobs/billing/retries");
        Assert.Equal(["timed-out", "relaunch-scheduled", "relaunched"], decisions.Select(d => d!["decision"]!.GetValue<string>()));
        Assert.Equal("stopped after 30m", decisions[0]!["detail"]!.GetValue<string>());
        Assert.All(decisions.Skip(1), d => Assert.Equal("0123456789abcdef", d!["chain"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_run_much_longer_than_the_jobs_baseline_or_over_its_maxDuration_is_slow_once()
    {
        await using var app = new HistoryApp(postgres, configFile: configFile);
        var usual = Enumerable.Range(0, 5).SelectMany(i => ecs.Run("nightly-report", day.AddHours(i), TimeSpan.FromMinutes(10))).ToList();
        await app.PostAsync(usual);
        await app.WaitForSummariesAsync(5);
        var slow = ecs.Run("nightly-report", day.AddHours(6), TimeSpan.FromMinutes(16), taskId: "slow1");
        var fine = ecs.Run("nightly-report", day.AddHours(7), TimeSpan.FromMinutes(14));
        var over = ecs.Run("export", day.AddHours(1), TimeSpan.FromMinutes(3), taskId: "over1");
        await app.PostAsync([.. slow, .. fine, .. over]);
        await app.PostAsync(slow);
        await app.WaitForSummariesAsync(8);

        var published = await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunSlow>().ToList()), l => l.Count >= 2, what: "two RunSlow");
        await Task.Delay(500);
        var messages = app.Harness.Published.Select<RunSlow>().Select(p => p.Context.Message).OrderBy(m => m.Job).ToList();
        Assert.Equal(2, messages.Count);
        Assert.Equal((ecs.TaskArn("over1"), TimeSpan.FromMinutes(2), (TimeSpan?)null), (messages[0].RunId, messages[0].Threshold, messages[0].Baseline));
        Assert.Equal(ecs.TaskArn("slow1"), messages[1].RunId);
        Assert.Equal(TimeSpan.FromSeconds(615), messages[1].Baseline);
        Assert.Equal(TimeSpan.FromMinutes(16).Add(TimeSpan.FromSeconds(15)), messages[1].Duration);
    }

    [Fact]
    public async Task A_success_shorter_than_minDuration_is_told_like_a_slow_run_and_recoverAfter_successes_are_published()
    {
        await using var app = new HistoryApp(postgres, configFile: configFile);
        await app.PostAsync(ecs.Run("quick-check", day, TimeSpan.FromMinutes(5), RunEnding.ExitCode, taskId: "q0", exitCode: 1));
        await app.WaitForSummariesAsync(1);
        for (var i = 1; i <= 3; i++)
        {
            await app.PostAsync(ecs.Run("quick-check", day.AddHours(i), TimeSpan.FromSeconds(10), taskId: $"q{i}"));
            await app.WaitForSummariesAsync(1 + i);
        }
        // The marker: a failure stored after them all is published after they were judged.
        await app.PostAsync(ecs.Run("marker", day.AddHours(5), TimeSpan.FromMinutes(1), RunEnding.ExitCode, taskId: "m", exitCode: 1));
        await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunFailed>().Count(p => p.Context.Message.Job == "marker")), n => n == 1,
            what: "the marker's RunFailed");

        // recoverAfter: 2: the first two successes after the failure are told (the notifier recovers on the second).
        Assert.Equal([ecs.TaskArn("q1"), ecs.TaskArn("q2")], app.Harness.Published.Select<RunSucceeded>().Select(p => p.Context.Message.TaskArn).Order());
        var tooShort = app.Harness.Published.Select<RunSlow>().Select(p => p.Context.Message).ToList();
        Assert.Equal(3, tooShort.Count);
        Assert.All(tooShort, slow => Assert.True(slow.TooShort && slow.Threshold == TimeSpan.FromMinutes(1) && slow.Duration < slow.Threshold));
    }

    [Fact]
    public async Task Imported_events_are_stored_and_published_marked_replayed_so_nothing_acts_on_them()
    {
        await using var app = new HistoryApp(postgres, configFile: configFile);
        var recent = DateTimeOffset.UtcNow.AddMinutes(-5);
        var launch = ecs.LaunchFailure("nightly-report", recent);
        var running = ecs.Run("long-etl", recent, TimeSpan.FromHours(3), taskId: "imp1").Take(3);
        var parser = new Platform.Ingest.Features.NormalizeEcsEvents.EcsEventParser(
            Microsoft.Extensions.Options.Options.Create(new Platform.Ingest.IngestOptions { ApiKey = "unused-but-required-key" }));
        var batch = parser.Parse(System.Text.Encoding.UTF8.GetBytes(new JsonArray([launch, .. running]).ToJsonString()));
        // What `import` sends: the same events, marked as the past.
        var history = await app.Harness.Bus.GetSendEndpoint(Platform.ServiceDefaults.PlatformTopology.HistoryEcsEventsAddress);
        await history.Send(new Contracts.Ingest.RecordEcsEvents(batch.TaskStateChanges, batch.LaunchFailures, [], Replayed: true));

        var failed = await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<LaunchFailed>().ToList()), l => l.Count >= 1, what: "LaunchFailed");
        Assert.True(failed[0].Context.Message.Replayed);
        Assert.Equal(launch["detail"]!["eventID"]!.GetValue<string>(), failed[0].Context.Message.CloudTrailEventId);
        Assert.Single(await app.GetArrayAsync("/jobs/long-etl/runs"));
        // A live run of the same job after it: its start is published, the imported one's never was (outcomes are
        // published in the order they were stored, so by then the import's had its turn).
        await app.PostAsync(ecs.Run("long-etl", recent.AddMinutes(1), TimeSpan.FromHours(3), taskId: "live1").Take(3));
        var started = await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunStarted>().ToList()), l => l.Count >= 1, what: "RunStarted");
        Assert.Equal(ecs.TaskArn("live1"), Assert.Single(started).Context.Message.TaskArn);
    }

    [Fact]
    public async Task A_RunTask_AWS_refused_is_a_launch_failed_run_of_its_job_alerted_like_any_launch_failure()
    {
        await using var app = new HistoryApp(postgres);
        // "No Container Instances were found in your cluster": what ECS answers a RunTask on an EC2 cluster without
        // instances (the InvalidParameterException the issue quotes from a public report).
        var refused = ecs.RefusedLaunch("nightly-report", day.AddHours(2), "InvalidParameterException", "No Container Instances were found in your cluster.");
        await app.PostAsync([refused, refused]);
        await app.WaitForSummariesAsync(1);

        var run = Assert.Single(await app.GetArrayAsync("/jobs/nightly-report/runs"))!;
        Assert.Equal("launch-failed", run["status"]!.GetValue<string>());
        Assert.Contains("InvalidParameterException", run["reason"]!.GetValue<string>());
        var failed = Assert.Single(await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<LaunchFailed>().ToList()), l => l.Count >= 1, what: "LaunchFailed"));
        Assert.Equal("InvalidParameterException", failed.Context.Message.Reason);
        Assert.Equal("No Container Instances were found in your cluster.", Assert.Single(failed.Context.Message.Failures).Detail);
    }
}
