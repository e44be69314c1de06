using System.Text.Json.Nodes;
using MassTransit.Testing;
using Microsoft.AspNetCore.Http;
using Platform.Contracts.History;
using Platform.Contracts.Retry;
using Platform.Retry.Tests.Features.RetryFailures;
using Platform.Testing;
using Xunit;

namespace Platform.Retry.Tests.Features.StopOverrunningRuns;

[Collection(RetryCollection.Name)]
public class TimeoutTests(PostgresFixture postgres) : RetryTestBase(postgres)
{
    private const string Running = "arn:aws:ecs:eu-west-1:123456789012:task/batch/0000000000000000000000000000run1";
    private const string Finished = "arn:aws:ecs:eu-west-1:123456789012:task/batch/0000000000000000000000000000fin1";
    private const string Refused = "arn:aws:ecs:eu-west-1:123456789012:task/batch/0000000000000000000000000000ref1";

    protected override string Config => """
        clusters: [batch]
        monitors:
          - job: nightly-report
            timeout: 2s
          - job: long-export
            timeout: 1h
        """;

    protected override void Arrange()
    {
        Aws.Intercept = async (context, _) =>
        {
            var target = context.Request.Headers["X-Amz-Target"].ToString();
            if (!target.EndsWith(".StopTask", StringComparison.Ordinal) || Aws.Calls[^1].Body["task"]!.GetValue<string>() != Refused)
                return false;
            context.Response.StatusCode = 400;
            context.Response.ContentType = "application/x-amz-json-1.1";
            await context.Response.WriteAsync("{\"__type\":\"InvalidParameterException\",\"message\":\"The referenced task was not found.\"}");
            return true;
        };
        var now = DateTimeOffset.UtcNow;
        Aws.AddTask(EcsTask(Running, "nightly-report", "RUNNING", now));
        Aws.AddTask(EcsTask(Finished, "nightly-report", "STOPPED", now));
        Aws.AddTask(EcsTask(Refused, "nightly-report", "RUNNING", now));
    }

    private static RunStarted Started(string taskArn, string job = "nightly-report", DateTimeOffset? createdAt = null, string cluster = "batch",
        bool replayed = false) =>
        new(taskArn, job, cluster, taskArn, "eu-west-1", createdAt ?? DateTimeOffset.UtcNow, "events-rule/nightly", replayed);

    /// <summary>A task as ECS's DescribeTasks describes it (the fields of the API reference's Task object that matter here).</summary>
    private static JsonObject EcsTask(string arn, string family, string status, DateTimeOffset createdAt, string cluster = "batch") => new()
    {
        ["taskArn"] = arn,
        ["clusterArn"] = $"arn:aws:ecs:eu-west-1:123456789012:cluster/{cluster}",
        ["taskDefinitionArn"] = $"arn:aws:ecs:eu-west-1:123456789012:task-definition/{family}:7",
        ["lastStatus"] = status,
        ["desiredStatus"] = status == "STOPPED" ? "STOPPED" : "RUNNING",
        ["createdAt"] = createdAt.ToUnixTimeMilliseconds() / 1000.0,
    };

    private IReadOnlyList<string> Stopped => Aws.Calls.Where(c => c.Target.EndsWith(".StopTask", StringComparison.Ordinal))
        .Select(c => c.Body["task"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task Forged_RUNNING_events_stop_nothing_that_ECS_does_not_show_as_the_jobs_overdue_task()
    {
        var now = DateTimeOffset.UtcNow;
        // A real task of another job, claimed as nightly-report's.
        var otherJobs = "arn:aws:ecs:eu-west-1:123456789012:task/batch/0000000000000000000000000000oth1";
        Aws.AddTask(EcsTask(otherJobs, "billing-api", "RUNNING", now.AddHours(-3)));
        // long-export's own task, which ECS created a minute ago, claimed to be two hours old (its timeout is 1h).
        var young = "arn:aws:ecs:eu-west-1:123456789012:task/batch/0000000000000000000000000000yng1";
        Aws.AddTask(EcsTask(young, "long-export", "RUNNING", now.AddMinutes(-1)));
        // nightly-report's task, but ECS shows it in another cluster than the event claimed.
        var elsewhere = "arn:aws:ecs:eu-west-1:123456789012:task/batch/0000000000000000000000000000els1";
        Aws.AddTask(EcsTask(elsewhere, "nightly-report", "RUNNING", now.AddHours(-3), cluster: "prod"));
        // A cluster outside the platform file's clusters, and an import's run: never even asked about.
        var unwatched = "arn:aws:ecs:eu-west-1:123456789012:task/prod/0000000000000000000000000000prd1";
        Aws.AddTask(EcsTask(unwatched, "nightly-report", "RUNNING", now.AddHours(-3), cluster: "prod"));
        var imported = "arn:aws:ecs:eu-west-1:123456789012:task/batch/0000000000000000000000000000imp1";
        Aws.AddTask(EcsTask(imported, "nightly-report", "RUNNING", now.AddHours(-3)));

        await App.Harness.Bus.Publish(Started(otherJobs, createdAt: now.AddHours(-2)));
        await App.Harness.Bus.Publish(Started(young, job: "long-export", createdAt: now.AddHours(-2)));
        await App.Harness.Bus.Publish(Started(elsewhere, createdAt: now.AddHours(-2)));
        await App.Harness.Bus.Publish(Started(unwatched, createdAt: now.AddHours(-2), cluster: "prod"));
        await App.Harness.Bus.Publish(Started(imported, createdAt: now.AddHours(-2), replayed: true));
        // A genuine overdue task, published last: once it is stopped, every watch before it was judged.
        await App.Harness.Bus.Publish(Started(Running));

        await Eventually.Get(() => Task.FromResult(Stopped), s => s.Count >= 1, TimeSpan.FromSeconds(15), "the genuine overdue task stopped");
        await Task.Delay(1_000);
        Assert.Equal([Running], Stopped);
        var described = Aws.Calls.Where(c => c.Target.EndsWith(".DescribeTasks", StringComparison.Ordinal))
            .SelectMany(c => c.Body["tasks"]!.AsArray()).Select(t => t!.GetValue<string>()).ToList();
        Assert.Contains(otherJobs, described);
        Assert.Contains(young, described);
        Assert.DoesNotContain(unwatched, described);
        Assert.DoesNotContain(imported, described);
        Assert.Single(App.Harness.Published.Select<RunTimedOut>());
    }

    [Fact]
    public async Task A_run_still_running_at_its_timeout_is_stopped_once_one_that_ended_is_left_alone_and_a_refused_stop_is_not_retried()
    {
        await App.Harness.Bus.Publish(Started(Running));
        await App.Harness.Bus.Publish(Started(Running));
        await App.Harness.Bus.Publish(Started(Finished));
        await App.Harness.Bus.Publish(Started(Refused));
        await App.Harness.Bus.Publish(Started("arn:aws:ecs:eu-west-1:123456789012:task/batch/unwatched", job: "no-timeout"));

        var timedOut = await Eventually.Get(() => App.Harness.Published.Any<RunTimedOut>(), any => any, TimeSpan.FromSeconds(15), "RunTimedOut");
        Assert.True(timedOut);
        await Task.Delay(1_500);

        // ECS refusing a stop (the task is gone) ends that watch: one try, no loop, no RunTimedOut.
        await Task.Delay(1_500);
        Assert.Single(Aws.Calls, c => c.Target.EndsWith(".StopTask", StringComparison.Ordinal) && c.Body["task"]!.GetValue<string>() == Refused);
        var stop = Assert.Single(Aws.Calls, c => c.Target.EndsWith(".StopTask", StringComparison.Ordinal) && c.Body["task"]!.GetValue<string>() != Refused);
        Assert.True(stop.SignatureValid);
        Assert.Equal(Running, stop.Body["task"]!.GetValue<string>());
        Assert.Equal("batch", stop.Body["cluster"]!.GetValue<string>());
        Assert.Equal("Stopped by Platform: exceeded timeout of 2s", stop.Body["reason"]!.GetValue<string>());
        var described = Aws.Calls.Where(c => c.Target.EndsWith(".DescribeTasks", StringComparison.Ordinal)).SelectMany(c => c.Body["tasks"]!.AsArray())
            .Select(t => t!.GetValue<string>()).ToList();
        Assert.DoesNotContain(described, arn => arn.EndsWith("/unwatched", StringComparison.Ordinal));
        var message = Assert.Single(App.Harness.Published.Select<RunTimedOut>()).Context.Message;
        Assert.Equal("nightly-report", message.Job);
        Assert.Equal(TimeSpan.FromSeconds(2), message.Timeout);
    }
}
