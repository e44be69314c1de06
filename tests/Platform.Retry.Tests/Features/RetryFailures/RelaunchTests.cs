using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Http;
using Platform.Contracts.Retry;
using Platform.Retry.Features.RetryFailures;
using Platform.Testing;
using Xunit;

namespace Platform.Retry.Tests.Features.RetryFailures;

[CollectionDefinition(Name)]
public sealed class RetryCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "retry";
}

[Collection(RetryCollection.Name)]
public class RelaunchTests(PostgresFixture postgres) : RetryTestBase(postgres)
{
    protected override string Config => """
        monitors:
          - job: nightly-report
            retry:
              launch: { reasons: [AGENT], maxAttempts: 3, interval: 1s, backoffRate: 1 }
          - job: slow-report
            retry:
              launch: { interval: 4s }
        """;

    [Fact]
    public async Task An_AGENT_launch_failure_delivered_twice_is_relaunched_once_with_the_complete_original_request()
    {
        var (failed, record) = RetryApp.LaunchFailure("nightly-report");
        Aws.AddRecord(record);
        var id = Guid.NewGuid();
        await App.Harness.Bus.Publish(failed, c => c.MessageId = id);
        await App.Harness.Bus.Publish(failed, c => c.MessageId = id);

        var calls = await Eventually.Get(() => Task.FromResult(RunTasks), c => c.Count >= 1, what: "RunTask");
        await Eventually.Get(() => App.Harness.Published.Any<TaskRelaunched>(), any => any, what: "TaskRelaunched");
        await Task.Delay(1_500);

        var call = Assert.Single(RunTasks);
        Assert.True(call.SignatureValid);
        var expected = record["detail"]!["requestParameters"]!.AsObject().DeepClone().AsObject();
        Assert.Matches("^platform/[0-9a-f]{16}/2$", call.Body["startedBy"]!.GetValue<string>());
        Assert.True(call.Body["startedBy"]!.GetValue<string>().Length <= 36);
        Assert.Equal(call.Body["startedBy"]!.GetValue<string>().Split('/')[1] + "-2", call.Body["clientToken"]!.GetValue<string>());
        expected["startedBy"] = call.Body["startedBy"]!.DeepClone();
        expected["clientToken"] = call.Body["clientToken"]!.DeepClone();
        Assert.True(JsonNode.DeepEquals(expected, call.Body), "the relaunch must carry every original parameter");
        var relaunched = Assert.Single(App.Harness.Published.Select<TaskRelaunched>()).Context.Message;
        Assert.Equal(2, relaunched.Attempt);
        Assert.Equal(3, relaunched.MaxAttempts);
        Assert.Single(App.Harness.Published.Select<RelaunchScheduled>());
    }

    [Fact]
    public async Task A_reason_outside_the_policy_is_not_relaunched()
    {
        await App.Harness.Bus.Publish(RetryApp.LaunchFailure("nightly-report", "RESOURCE:MEMORY").Message);
        Assert.True(await App.Harness.Consumed.Any<Platform.Contracts.History.LaunchFailed>());
        await Task.Delay(1_500);
        Assert.Empty(RunTasks);
        Assert.False(await App.Harness.Published.Any<RelaunchScheduled>());
    }

    [Fact]
    public async Task Three_AGENT_failures_end_in_RetriesExhausted_with_no_fourth_attempt()
    {
        Aws.Intercept = async (context, _) =>
        {
            if (!context.Request.Headers["X-Amz-Target"].ToString().EndsWith(".RunTask", StringComparison.Ordinal))
                return false;
            context.Response.ContentType = "application/x-amz-json-1.1";
            await context.Response.WriteAsync("{\"tasks\":[],\"failures\":[{\"arn\":\"arn:aws:ecs:eu-west-1:123456789012:container-instance/batch/1\",\"reason\":\"AGENT\"}]}");
            return true;
        };
        var (failed, record) = RetryApp.LaunchFailure("nightly-report");
        Aws.AddRecord(record);
        await App.Harness.Bus.Publish(failed);

        await Eventually.Get(() => App.Harness.Published.Any<RetriesExhausted>(), any => any, TimeSpan.FromSeconds(20), "RetriesExhausted");
        var calls = RunTasks;
        Assert.Equal(2, calls.Count);
        Assert.Equal(["2", "3"], calls.Select(c => c.Body["startedBy"]!.GetValue<string>().Split('/')[2]));

        // CloudTrail's record of the last failed RunTask arrives later, carrying our marker: it ends nothing new.
        await App.Harness.Bus.Publish(RetryApp.LaunchFailure("nightly-report", startedBy: calls[^1].Body["startedBy"]!.GetValue<string>()).Message);
        await Task.Delay(2_000);
        Assert.Equal(2, RunTasks.Count);
        var exhausted = Assert.Single(App.Harness.Published.Select<RetriesExhausted>()).Context.Message;
        Assert.Equal(3, exhausted.Attempts);
        Assert.Equal("AGENT", exhausted.LastReason);
    }

    [Fact]
    public async Task A_restart_during_the_backoff_relaunches_once_at_the_due_time()
    {
        var published = DateTimeOffset.UtcNow;
        var (failed, record) = RetryApp.LaunchFailure("slow-report");
        Aws.AddRecord(record);
        await App.Harness.Bus.Publish(failed);
        await Eventually.Get(() => App.Harness.Published.Any<RelaunchScheduled>(), any => any, what: "RelaunchScheduled");
        await App.DisposeAsync();
        Assert.Empty(RunTasks);

        App = Start();
        var calls = await Eventually.Get(() => Task.FromResult(RunTasks), c => c.Count >= 1, TimeSpan.FromSeconds(20), "the relaunch after the restart");
        await Task.Delay(1_500);

        Assert.Single(RunTasks);
        Assert.True(calls[0].Body["startedBy"] is not null);
        Assert.True(DateTimeOffset.UtcNow - published >= TimeSpan.FromSeconds(4), "not before its due time");
    }
}
