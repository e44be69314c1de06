using System.Text.Json.Nodes;
using Marten;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.History;
using Platform.EcsSamples;
using Platform.History.Features.LinkExecutions;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.LinkExecutions;

/// <summary>
/// Step Functions executions as runs, and the ECS tasks their states ran as their attempts. The events and the
/// execution histories are <see cref="StepFunctionsSamples"/>' (shapes and sources in its summary); GetExecutionHistory
/// is answered by <see cref="FakeAws"/>, a real HTTP server checking SigV4 for the <c>states</c> service.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StepFunctionsTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly StepFunctionsSamples sfn = new();
    private readonly EcsEventFactory ecs = new();
    private readonly DateTimeOffset day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
    private FakeAws aws = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", FakeAws.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", FakeAws.SecretKey);
        aws = await FakeAws.StartAsync();
    }

    public async Task DisposeAsync() => await aws.DisposeAsync();

    private HistoryApp Start() => new(postgres)
    {
        Settings = new Dictionary<string, string>
        {
            ["Aws:ServiceUrl"] = aws.BaseUrl,
            ["History:ExecutionLinkInterval"] = "00:00:00.200",
            ["History:AttemptGrace"] = "00:00:05",
        },
    };

    /// <summary>One execution: its status events, its tasks' events, and the history GetExecutionHistory gives for it.</summary>
    private (List<JsonObject> Status, List<JsonObject> Tasks) Execution(string name, DateTimeOffset start, string end, params TaskStep[] steps)
    {
        aws.AddExecutionHistory(sfn.ExecutionArn("nightly-etl", name), sfn.History("nightly-etl", name, start, steps));
        var stop = start.AddMinutes(30);
        var failed = steps.FirstOrDefault(s => !s.Succeeded);
        return ([sfn.StatusChange("nightly-etl", name, "RUNNING", start),
                 sfn.StatusChange("nightly-etl", name, end, start, stop, failed is null ? null : "States.TaskFailed",
                     failed is null ? null : $"{{\"TaskArn\":\"{ecs.TaskArn(failed.Attempts[^1].TaskId)}\",\"StopCode\":\"EssentialContainerExited\"}}")],
                sfn.TaskEvents(start.AddSeconds(5), TimeSpan.FromMinutes(2), steps));
    }

    /// <summary>Waits until every ended execution has been read and every held task failure settled.</summary>
    private static Task Settled(HistoryApp app) => Eventually.Get(async () =>
    {
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return await session.Query<OpenExecution>().CountAsync() + await session.Query<HeldAttempt>().CountAsync();
    }, n => n == 0, what: "executions linked and held attempts settled");

    [Fact]
    public async Task A_step_retried_to_success_is_one_succeeded_run_with_its_failed_attempts_and_no_alert_whatever_the_order()
    {
        await using var app = Start();
        var retried = new TaskStep("transform", new TaskAttempt("a-t1", 1), new TaskAttempt("a-t2", 2), new TaskAttempt("a-t3"));
        // The execution's events before, between and after its tasks' events, and twice.
        var (beforeStatus, beforeTasks) = Execution("before", day.AddHours(1), "SUCCEEDED", new TaskStep("extract", new TaskAttempt("b-e1")),
            retried with { Attempts = [new("b-t1", 1), new("b-t2", 1), new("b-t3")] });
        await app.PostAsync(beforeStatus);
        await app.PostAsync(beforeStatus);
        await app.PostAsync(beforeTasks);
        var (betweenStatus, betweenTasks) = Execution("between", day.AddHours(2), "SUCCEEDED", retried with { Attempts = [new("m-t1", 1), new("m-t2", 1), new("m-t3")] });
        await app.PostAsync([betweenStatus[0], .. betweenTasks.Take(betweenTasks.Count / 2)]);
        await app.PostAsync([.. betweenTasks.Skip(betweenTasks.Count / 2), betweenStatus[1], betweenStatus[0]]);
        var (afterStatus, afterTasks) = Execution("after", day.AddHours(3), "SUCCEEDED", retried);
        await app.PostAsync(afterTasks);
        await app.PostAsync([.. afterStatus, .. afterStatus]);
        await app.PostAsync(afterTasks);
        await Eventually.Get(() => app.GetArrayAsync("/jobs/nightly-etl/runs"), runs => runs.Count == 3 && runs.All(r => r!["linked"]!.GetValue<bool>()),
            what: "three linked executions");
        await Settled(app);
        // A failure of another job, published after everything above was judged.
        await app.PostAsync(ecs.Run("marker", day.AddHours(4), TimeSpan.FromMinutes(1), RunEnding.ExitCode, taskId: "marker", exitCode: 1));
        await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunFailed>().Count()), n => n >= 1, what: "the marker's RunFailed");

        Assert.Equal(["marker"], app.Harness.Published.Select<RunFailed>().Select(p => p.Context.Message.Job));
        var runs = await app.GetArrayAsync("/jobs/nightly-etl/runs");
        Assert.All(runs, run =>
        {
            Assert.Equal("succeeded", run!["status"]!.GetValue<string>());
            Assert.Equal(2, run["execution"]!["failedAttempts"]!.GetValue<int>());
        });
        var before = runs.Single(r => r!["id"]!.GetValue<string>().EndsWith(":before", StringComparison.Ordinal))!;
        Assert.Equal(["extract", "transform", "transform", "transform"], before["attempts"]!.AsArray().Select(a => a!["state"]!.GetValue<string>()));
        Assert.Equal([ecs.TaskArn("b-e1"), ecs.TaskArn("b-t1"), ecs.TaskArn("b-t2"), ecs.TaskArn("b-t3")],
            before["attempts"]!.AsArray().Select(a => a!["taskArn"]!.GetValue<string>()));
        // The tasks are runs of their own jobs too, on their timelines; their failures were the execution's attempts.
        var failedAttempts = (await app.GetArrayAsync("/jobs/transform/runs")).Where(r => r!["status"]!.GetValue<string>() == "failed").ToList();
        Assert.Equal(6, failedAttempts.Count);
        Assert.All(failedAttempts, r => Assert.StartsWith(sfn.ExecutionArn("nightly-etl", ""), r!["executionArn"]!.GetValue<string>()));
        // The execution's timeline on its job page: the tasks its states ran, and how many attempts failed first.
        var page = await app.CreateClient().WithReadKey(AllInOneTestHost.ReadKey).GetStringAsync("/ui/jobs/nightly-etl");
        Assert.Contains("2 attempt(s) failed first", page);
        Assert.Matches("data-state=\"transform\" data-outcome=\"failed\">transform: failed", page);
        Assert.Equal(3, aws.CallsTo("GetExecutionHistory").Count);
        Assert.All(aws.CallsTo("GetExecutionHistory"), call => Assert.True(call.SignatureValid));
    }

    [Fact]
    public async Task A_step_that_exhausted_its_retries_is_one_alert_naming_the_state_its_error_and_its_last_task()
    {
        await using var app = Start();
        var (status, tasks) = Execution("exhausted", day.AddHours(1), "FAILED", new TaskStep("extract", new TaskAttempt("x-e1")),
            new TaskStep("transform", new TaskAttempt("x-t1", 1), new TaskAttempt("x-t2", 1), new TaskAttempt("x-t3", 3)));
        await app.PostAsync([.. tasks.Take(10), status[0]]);
        await app.PostAsync([.. tasks.Skip(10), status[1], status[1]]);

        var failed = await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunFailed>().ToList()), l => l.Count >= 1, what: "RunFailed");
        await Settled(app);
        var message = Assert.Single(app.Harness.Published.Select<RunFailed>()).Context.Message;
        Assert.Equal("nightly-etl", message.Job);
        Assert.Equal(FailureKind.Failed, message.Kind);
        Assert.Equal("transform", message.Execution!.FailedState);
        Assert.Equal("States.TaskFailed", message.Execution.Error);
        Assert.Equal(ecs.TaskArn("x-t3"), message.Execution.LastTaskArn);
        Assert.Equal(ecs.TaskArn("x-t3"), message.TaskArn);
        Assert.Equal(3, message.Execution.FailedAttempts);
        // Every task its states ran, for the alert to list.
        Assert.Equal([("extract", true), ("transform", false), ("transform", false), ("transform", false)],
            message.Execution.Attempts!.Select(a => (a.State, a.Succeeded)));
        Assert.Equal(3, message.Containers.Single(c => c.Name == "app").ExitCode);
        Assert.Equal("batch", message.Cluster);
        Assert.Equal(ecs.TaskDefinitionArn("transform", 3), message.TaskDefinitionArn);
        Assert.Equal(sfn.ExecutionArn("nightly-etl", "exhausted"), failed[0].Context.Message.RunId);
    }

    [Fact]
    public async Task A_failed_task_started_by_Step_Functions_that_no_execution_claims_is_alerted_on_its_own_once()
    {
        await using var app = Start();
        var orphan = ecs.Run("transform", day, TimeSpan.FromMinutes(2), RunEnding.ExitCode, taskId: "orphan", exitCode: 2,
            startedBy: StepFunctionsSamples.StartedBy);
        await app.PostAsync(orphan);
        await app.PostAsync(orphan);

        var failed = await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunFailed>().ToList()), l => l.Count >= 1,
            what: "the released RunFailed");
        await Settled(app);
        var message = Assert.Single(app.Harness.Published.Select<RunFailed>()).Context.Message;
        Assert.Equal(ecs.TaskArn("orphan"), message.TaskArn);
        Assert.Equal("transform", message.Job);
        Assert.Null(message.Execution);
        Assert.Empty(aws.CallsTo("GetExecutionHistory"));
    }

    [Fact]
    public async Task An_execution_whose_history_cannot_be_read_is_alerted_once_with_its_own_error_and_cause()
    {
        await using var app = Start();
        // No history given: the fake answers ExecutionDoesNotExist, as Step Functions does for an execution it does not know.
        var start = day.AddHours(5);
        await app.PostAsync([sfn.StatusChange("nightly-etl", "unreadable", "TIMED_OUT", start, start.AddHours(1), "States.Timeout", "Execution timed out")]);

        var failed = await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunFailed>().ToList()), l => l.Count >= 1, what: "RunFailed");
        await Settled(app);
        var message = Assert.Single(app.Harness.Published.Select<RunFailed>()).Context.Message;
        Assert.Equal(FailureKind.TimedOut, message.Kind);
        Assert.False(message.Execution!.HistoryRead);
        Assert.Equal("States.Timeout: Execution timed out", message.Reason);
        Assert.Equal(ExecutionLinker.MaxFailedReads, aws.CallsTo("GetExecutionHistory").Count);
    }

    [Fact]
    public async Task An_execution_whose_run_was_overwritten_by_a_stale_copy_after_linking_is_restored_not_linked_twice()
    {
        await using var app = Start();
        var (status, tasks) = Execution("overwritten", day.AddHours(2), "FAILED", new TaskStep("transform", new TaskAttempt("o-t1", 1), new TaskAttempt("o-t2", 1)));
        await app.PostAsync([.. status, .. tasks]);
        await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunFailed>().Count()), n => n >= 1, what: "RunFailed");
        await Settled(app);

        // What the recorder does when a late duplicate of the execution's event races the linker: it stores the run
        // as it loaded it (not linked) and puts the execution back on the linker's list.
        var store = app.Services.GetRequiredService<IDocumentStore>();
        var arn = sfn.ExecutionArn("nightly-etl", "overwritten");
        await using (var session = store.LightweightSession())
        {
            var run = (await session.LoadAsync<Platform.History.Features.TrackRuns.Run>(arn))!;
            session.Store(run with { Linked = false, Execution = null, Attempts = [] });
            session.Store(new OpenExecution(arn, run.Job, run.TaskDefinition, run.CreatedAt, run.StoppedAt));
            await session.SaveChangesAsync();
        }
        await Settled(app);

        var restored = (await app.GetArrayAsync("/jobs/nightly-etl/runs")).Single()!;
        Assert.True(restored["linked"]!.GetValue<bool>());
        Assert.Equal("transform", restored["execution"]!["failedState"]!.GetValue<string>());
        await using var query = store.QuerySession();
        Assert.Single(await query.Events.FetchStreamAsync(arn), e => e.Data is ExecutionLinked);
        Assert.Single(app.Harness.Published.Select<RunFailed>());
        Assert.Single(aws.CallsTo("GetExecutionHistory"));
    }

    [Fact]
    public async Task An_events_claim_that_a_failed_execution_succeeded_is_overruled_by_its_history()
    {
        await using var app = Start();
        // Anyone with the ingest key can post this; Step Functions' own history says the execution failed.
        var start = day.AddHours(3);
        aws.AddExecutionHistory(sfn.ExecutionArn("nightly-etl", "forged"),
            sfn.History("nightly-etl", "forged", start, new TaskStep("load", new TaskAttempt("f-l1", 2))));
        await app.PostAsync([sfn.StatusChange("nightly-etl", "forged", "SUCCEEDED", start, start.AddMinutes(5))]);

        var failed = await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunFailed>().ToList()), l => l.Count >= 1, what: "RunFailed");
        await Settled(app);
        var message = Assert.Single(app.Harness.Published.Select<RunFailed>()).Context.Message;
        Assert.Equal((FailureKind.Failed, "load", "FAILED"), (message.Kind, message.Execution!.FailedState, message.Execution.Status));
        Assert.False(await app.Harness.Published.Any<RunSucceeded>());
        Assert.Equal("failed", (await app.GetArrayAsync("/jobs/nightly-etl/runs")).Single()!["status"]!.GetValue<string>());
    }
}
