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
public class TimeoutTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string Running = "arn:aws:ecs:eu-west-1:123456789012:task/batch/0000000000000000000000000000run1";
    private const string Finished = "arn:aws:ecs:eu-west-1:123456789012:task/batch/0000000000000000000000000000fin1";
    private const string Refused = "arn:aws:ecs:eu-west-1:123456789012:task/batch/0000000000000000000000000000ref1";
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly string configFile = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    private FakeEcs ecs = null!;
    private RetryApp app = null!;

    public async Task InitializeAsync()
    {
        ecs = await FakeEcs.StartAsync();
        ecs.Intercept = async (context, _) =>
        {
            var target = context.Request.Headers["X-Amz-Target"].ToString();
            if (target.EndsWith(".StopTask", StringComparison.Ordinal) && ecs.Calls[^1].Body["task"]!.GetValue<string>() == Refused)
            {
                context.Response.StatusCode = 400;
                context.Response.ContentType = "application/x-amz-json-1.1";
                await context.Response.WriteAsync("{\"__type\":\"InvalidParameterException\",\"message\":\"The referenced task was not found.\"}");
                return true;
            }
            if (!target.EndsWith(".DescribeTasks", StringComparison.Ordinal))
                return false;
            var asked = ecs.Calls[^1].Body["tasks"]!.AsArray().Select(t => t!.GetValue<string>());
            var tasks = new JsonArray([.. asked.Select(arn => new JsonObject
            {
                ["taskArn"] = arn,
                ["lastStatus"] = arn == Finished ? "STOPPED" : "RUNNING",
                ["desiredStatus"] = arn == Finished ? "STOPPED" : "RUNNING",
            })]);
            context.Response.ContentType = "application/x-amz-json-1.1";
            await context.Response.WriteAsync(new JsonObject { ["tasks"] = tasks, ["failures"] = new JsonArray() }.ToJsonString());
            return true;
        };
        await File.WriteAllTextAsync(configFile, """
            monitors:
              - job: nightly-report
                timeout: 2s
            """);
        app = new RetryApp(postgres, ecs, schema, configFile);
        _ = app.Server;
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await ecs.DisposeAsync();
        await postgres.DropSchemaAsync(schema);
        File.Delete(configFile);
    }

    private static RunStarted Started(string taskArn, string job = "nightly-report") =>
        new(taskArn, job, "batch", taskArn, "eu-west-1", DateTimeOffset.UtcNow, "events-rule/nightly");

    [Fact]
    public async Task A_run_still_running_at_its_timeout_is_stopped_once_one_that_ended_is_left_alone_and_a_refused_stop_is_not_retried()
    {
        await app.Harness.Bus.Publish(Started(Running));
        await app.Harness.Bus.Publish(Started(Running));
        await app.Harness.Bus.Publish(Started(Finished));
        await app.Harness.Bus.Publish(Started(Refused));
        await app.Harness.Bus.Publish(Started("arn:aws:ecs:eu-west-1:123456789012:task/batch/unwatched", job: "no-timeout"));

        var timedOut = await Eventually.Get(() => app.Harness.Published.Any<RunTimedOut>(), any => any, TimeSpan.FromSeconds(15), "RunTimedOut");
        Assert.True(timedOut);
        await Task.Delay(1_500);

        // ECS refusing a stop (the task is gone) ends that watch: one try, no loop, no RunTimedOut.
        await Task.Delay(1_500);
        Assert.Single(ecs.Calls, c => c.Target.EndsWith(".StopTask", StringComparison.Ordinal) && c.Body["task"]!.GetValue<string>() == Refused);
        var stop = Assert.Single(ecs.Calls, c => c.Target.EndsWith(".StopTask", StringComparison.Ordinal) && c.Body["task"]!.GetValue<string>() != Refused);
        Assert.True(stop.SignatureValid);
        Assert.Equal(Running, stop.Body["task"]!.GetValue<string>());
        Assert.Equal("batch", stop.Body["cluster"]!.GetValue<string>());
        Assert.Equal("Stopped by Platform: exceeded timeout of 2s", stop.Body["reason"]!.GetValue<string>());
        var described = ecs.Calls.Where(c => c.Target.EndsWith(".DescribeTasks", StringComparison.Ordinal)).SelectMany(c => c.Body["tasks"]!.AsArray())
            .Select(t => t!.GetValue<string>()).ToList();
        Assert.DoesNotContain(described, arn => arn.EndsWith("/unwatched", StringComparison.Ordinal));
        var message = Assert.Single(app.Harness.Published.Select<RunTimedOut>()).Context.Message;
        Assert.Equal("nightly-report", message.Job);
        Assert.Equal(TimeSpan.FromSeconds(2), message.Timeout);
    }
}
