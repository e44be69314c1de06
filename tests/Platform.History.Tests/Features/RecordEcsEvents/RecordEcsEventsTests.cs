using System.Text.Json.Nodes;
using MassTransit.Testing;
using Platform.Contracts.History;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.RecordEcsEvents;

[Collection(PostgresCollection.Name)]
public class RecordEcsEventsTests(PostgresFixture postgres)
{
    private readonly EcsEventFactory ecs = new();
    private readonly DateTimeOffset day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_failed_run_delivered_twice_out_of_order_is_stored_once_classified_and_published_once()
    {
        await using var app = new HistoryApp(postgres);
        var run = ecs.Run("nightly-report", day.AddHours(2), TimeSpan.FromMinutes(30), RunEnding.ExitCode, taskId: "t1", exitCode: 2);

        await app.PostAsync(run.AsEnumerable().Reverse());
        await app.PostAsync(Shuffle(run));
        await app.PostAsync([run[^1]]);
        await app.WaitForSummariesAsync(1);

        var runs = await app.GetArrayAsync("/jobs/nightly-report/runs");
        var stored = Assert.Single(runs)!;
        Assert.Equal(ecs.TaskArn("t1"), stored["taskArn"]!.GetValue<string>());
        Assert.Equal("failed", stored["status"]!.GetValue<string>());
        Assert.Equal("exit-code", stored["failureKind"]!.GetValue<string>());
        Assert.Equal("app exited with code 2", stored["reason"]!.GetValue<string>());
        Assert.Equal("STOPPED", stored["lastStatus"]!.GetValue<string>());
        Assert.Equal(8, stored["taskVersion"]!.GetValue<int>());
        Assert.Equal(day.AddHours(2).AddSeconds(20), stored["startedAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal("00:30:15", stored["duration"]!.GetValue<string>());
        Assert.Equal([2, 0], stored["containers"]!.AsArray().Select(c => c!["exitCode"]!.GetValue<int>()));

        var failed = await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunFailed>().ToList()), l => l.Count >= 1, what: "RunFailed");
        await Task.Delay(500);
        var message = Assert.Single(app.Harness.Published.Select<RunFailed>()).Context.Message;
        Assert.Equal(FailureKind.ExitCode, message.Kind);
        Assert.Equal("nightly-report", message.Job);
        Assert.Equal("batch", message.Cluster);
        Assert.Equal(TimeSpan.FromMinutes(30).Add(TimeSpan.FromSeconds(15)), message.Duration);
        Assert.NotNull(failed[0].Context.MessageId);
        Assert.False(await app.Harness.Published.Any<RunSucceeded>());

        // History's queue reads its messages with its own deserializer: straight into objects, once.
        var consumed = app.Harness.Consumed.Select<Contracts.Ingest.RecordEcsEvents>().First().Context;
        Assert.True(consumed.SerializerContext.TryGetMessage<Contracts.Ingest.RecordEcsEvents>(out var read));
        Assert.Same(consumed.Message, read);
    }

    [Fact]
    public async Task Posting_a_day_twice_shuffled_gives_the_same_job_summaries_as_posting_it_once()
    {
        var events = Day(out var finishedRuns);

        await using var once = new HistoryApp(postgres);
        await once.PostAsync(events);
        var expected = await once.WaitForSummariesAsync(finishedRuns);

        await using var twice = new HistoryApp(postgres);
        var doubled = Shuffle(events.Concat(events).ToList());
        // Many small concurrent requests, so that batches of one task's events race each other.
        await Task.WhenAll(doubled.Chunk(7).Select(chunk => twice.PostAsync(chunk)));
        var actual = await twice.WaitForSummariesAsync(finishedRuns);
        await Task.Delay(1000);
        actual = await twice.GetArrayAsync("/jobs");

        Assert.Equal(expected.ToJsonString(), actual.ToJsonString());
        var etl = expected.Single(j => j!["name"]!.GetValue<string>() == "etl-orders")!;
        Assert.Equal(5, etl["successCount"]!.GetValue<int>());
        Assert.Equal(1, etl["failureCount"]!.GetValue<int>());
        Assert.Equal(1, etl["consecutiveFailures"]!.GetValue<int>());
        Assert.Equal(1, etl["failuresByKind"]!["OutOfMemory"]!.GetValue<int>());
        Assert.Equal(day.AddHours(0).AddSeconds(20 + 7 * 60 + 15), etl["firstSuccessAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(day.AddHours(16).AddSeconds(20 + 7 * 60 + 15), etl["lastSuccessAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(day.AddHours(20).AddSeconds(20 + 7 * 60 + 15), etl["lastFailureAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal("out-of-memory", etl["lastRun"]!["failureKind"]!.GetValue<string>());
        var report = expected.Single(j => j!["name"]!.GetValue<string>() == "nightly-report")!;
        Assert.Equal(1, report["launchFailureCount"]!.GetValue<int>());
        Assert.Equal(1, report["successCount"]!.GetValue<int>());
        Assert.Equal(0, report["consecutiveFailures"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_launch_failure_is_a_run_of_its_own_and_is_published_with_the_original_request()
    {
        await using var app = new HistoryApp(postgres);
        var failure = ecs.LaunchFailure("billing-export", day.AddHours(6), "AGENT");

        await app.PostAsync([failure, failure]);
        var jobs = await app.WaitForSummariesAsync(1);

        var summary = Assert.Single(jobs)!;
        Assert.Equal(1, summary["launchFailureCount"]!.GetValue<int>());
        Assert.Equal(0, summary["failureCount"]!.GetValue<int>());
        var run = Assert.Single(await app.GetArrayAsync("/jobs/billing-export/runs"))!;
        Assert.Equal("launch-failed", run["status"]!.GetValue<string>());
        Assert.Equal("AGENT", run["reason"]!.GetValue<string>());
        await Eventually.Get(() => app.Harness.Published.Any<LaunchFailed>(), any => any, what: "LaunchFailed");
        var message = Assert.Single(app.Harness.Published.Select<LaunchFailed>()).Context.Message;
        Assert.Equal("AGENT", message.Reason);
        Assert.Equal("billing-export", message.Job);
        Assert.True(JsonNode.DeepEquals(failure["detail"]!["requestParameters"], JsonNode.Parse(message.RequestParameters.GetRawText())));
    }

    [Fact]
    public async Task A_run_in_progress_is_listed_and_its_job_is_known_before_it_finishes()
    {
        await using var app = new HistoryApp(postgres);
        await app.PostAsync(ecs.Run("long-etl", day, TimeSpan.FromHours(3), taskId: "running").Take(4));

        var runs = await Eventually.Get(() => app.GetArrayAsync("/jobs/long-etl/runs"), r => r.Count == 1, what: "the running run");

        Assert.Equal("running", runs[0]!["status"]!.GetValue<string>());
        var job = await app.ApiClient().GetAsync("/jobs/long-etl");
        Assert.Equal(System.Net.HttpStatusCode.OK, job.StatusCode);
        Assert.False(await app.Harness.Published.Any<RunSucceeded>());
    }

    internal List<JsonObject> Day(out int finishedRuns)
    {
        var events = new List<JsonObject>();
        for (var hour = 0; hour < 20; hour += 4)
            events.AddRange(ecs.Run("etl-orders", day.AddHours(hour), TimeSpan.FromMinutes(7)));
        events.AddRange(ecs.Run("etl-orders", day.AddHours(20), TimeSpan.FromMinutes(7), RunEnding.OutOfMemory));
        events.Add(ecs.LaunchFailure("nightly-report", day.AddHours(2), "AGENT"));
        events.AddRange(ecs.Run("nightly-report", day.AddHours(2).AddMinutes(1), TimeSpan.FromMinutes(31)));
        events.AddRange(ecs.Run("cleanup", day.AddHours(3), TimeSpan.FromMinutes(1), RunEnding.SuccessWithKilledSidecar));
        events.AddRange(ecs.Run("cleanup", day.AddHours(9), TimeSpan.FromMinutes(1), RunEnding.SpotInterruption));
        events.AddRange(ecs.Run("cleanup", day.AddHours(15), TimeSpan.FromMinutes(1), RunEnding.StoppedByUser));
        events.AddRange(ecs.Run("image-resize", day.AddHours(5), TimeSpan.Zero, RunEnding.CannotPullImage));
        events.AddRange(ecs.Run("image-resize", day.AddHours(6), TimeSpan.FromMinutes(2), RunEnding.ExitCode, exitCode: 1));
        events.AddRange(ecs.Run("image-resize", day.AddHours(7), TimeSpan.FromMinutes(2), RunEnding.ExitCode, exitCode: 3));
        finishedRuns = 6 + 2 + 3 + 3;
        return events;
    }

    private static List<JsonObject> Shuffle(IReadOnlyList<JsonObject> events) => [.. events.OrderBy(_ => Random.Shared.Next())];
}
