using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit.Testing;
using Platform.Contracts.Ingest;
using Platform.EcsSamples;
using Xunit;

namespace Platform.Ingest.Tests.Features.ReceiveEvents;

public class ReceiveEventsTests : IAsyncLifetime
{
    private readonly EcsEventFactory ecs = new();
    private readonly DateTimeOffset start = new(2026, 11, 20, 2, 0, 0, TimeSpan.Zero);
    private IngestApp app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task A_request_without_the_api_key_is_401_and_publishes_nothing()
    {
        var client = app.CreateClient();
        var response = await client.PostAsync("/events", Json(ecs.Run("etl", start, TimeSpan.FromMinutes(1))[0]));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        client.DefaultRequestHeaders.Add("X-Api-Key", "not-the-key-0123456789");
        response = await client.PostAsync("/events", Json(ecs.Run("etl", start, TimeSpan.FromMinutes(1))[0]));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(await app.Harness.Sent.Any<RecordEcsEvents>());
    }

    [Fact]
    public async Task Text_PostgreSQL_cannot_hold_is_a_400_naming_the_field_or_a_visible_replacement_never_a_500()
    {
        var client = app.CreateAuthorizedClient();
        var run = ecs.Run("etl", start, TimeSpan.FromMinutes(1), RunEnding.ExitCode);
        // Unpaired surrogate escapes, in a top-level field and deep in the detail: 400 with the field's path.
        var topLevel = (JsonObject)run[0].DeepClone();
        topLevel["account"] = "PLACEHOLDER";
        var deep = (JsonObject)run[^1].DeepClone();
        deep["detail"]!["containers"]![0]!["reason"] = "PLACEHOLDER";
        foreach (var (raw, field) in new[]
        {
            (topLevel.ToJsonString().Replace("PLACEHOLDER", "\\ud800", StringComparison.Ordinal), "$.account"),
            (deep.ToJsonString().Replace("PLACEHOLDER", "x\\udc00y", StringComparison.Ordinal), "$.detail.containers[0].reason"),
        })
        {
            Assert.Contains("\\ud", raw, StringComparison.OrdinalIgnoreCase);
            var response = await client.PostAsync("/events", new StringContent("[" + raw + "]", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(field.Replace("$.", "$[0].", StringComparison.Ordinal), await response.Content.ReadAsStringAsync());
        }
        // A NUL is replaced, visibly, and the event goes on with the others of its request.
        var stopped = (JsonObject)run[^1].DeepClone();
        stopped["detail"]!["stoppedReason"] = "bad\u0000text";
        var accepted = await client.PostAsync("/events", new StringContent(new JsonArray([.. run.SkipLast(1).Select(e => e.DeepClone()), stopped]).ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var changes = app.SentBatches().SelectMany(b => b.TaskStateChanges).ToList();
        Assert.Equal(run.Count, changes.Count);
        Assert.Equal("bad\uFFFDtext", changes.Single(c => c.LastStatus == "STOPPED").StoppedReason);
    }

    [Fact]
    public async Task A_task_state_change_is_normalized_and_published()
    {
        var stopped = ecs.Run("nightly-report", start, TimeSpan.FromMinutes(30), RunEnding.ExitCode, taskId: "abc123", revision: 7, exitCode: 3)[^1];

        var response = await app.CreateAuthorizedClient().PostAsync("/events", Json(stopped));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(new JsonObject { ["accepted"] = 1, ["ignored"] = 0 }.ToJsonString(), await response.Content.ReadAsStringAsync());
        var change = Assert.Single(Assert.Single(app.SentBatches()).TaskStateChanges);
        Assert.Equal(stopped["id"]!.GetValue<string>(), change.EventId);
        Assert.Equal(ecs.TaskArn("abc123"), change.TaskArn);
        Assert.Equal("nightly-report", change.Family);
        Assert.Equal(7, change.Revision);
        Assert.Equal("batch", change.ClusterName);
        Assert.Equal("STOPPED", change.LastStatus);
        Assert.Equal("EssentialContainerExited", change.StopCode);
        Assert.Equal(8, change.Version);
        Assert.Equal("events-rule/nightly-report-schedule", change.StartedBy);
        Assert.Equal("FARGATE", change.LaunchType);
        Assert.Equal([("app", (int?)3), ("log-router", 0)], change.Containers.Select(c => (c.Name, c.ExitCode)));
        Assert.Equal(start.AddSeconds(20), change.StartedAt);
        Assert.Equal("app", change.Overrides!.Value.GetProperty("containerOverrides")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task An_array_is_published_as_few_messages_of_at_most_the_configured_size()
    {
        var events = Enumerable.Range(0, 25).SelectMany(i => ecs.Run($"job-{i % 3}", start.AddHours(i), TimeSpan.FromMinutes(2))).ToList();

        var response = await app.CreateAuthorizedClient().PostAsync("/events", Json(new JsonArray([.. events])));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var batches = app.SentBatches();
        Assert.Equal(200, events.Count);
        Assert.Equal([100, 100], batches.Select(b => b.TaskStateChanges.Count));
        Assert.Equal(events.Select(e => e["id"]!.GetValue<string>()).Order(), batches.SelectMany(b => b.TaskStateChanges).Select(c => c.EventId).Order());
    }

    [Fact]
    public async Task A_RunTask_that_returned_failures_is_a_launch_failure_with_the_complete_request()
    {
        var failure = ecs.LaunchFailure("nightly-report", start, "RESOURCE:MEMORY");

        var response = await app.CreateAuthorizedClient().PostAsync("/events", Json(failure));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var launch = Assert.Single(Assert.Single(app.SentBatches()).LaunchFailures);
        Assert.Equal("RunTask", launch.EventName);
        Assert.Equal("nightly-report", launch.Family);
        Assert.Equal("batch", launch.ClusterName);
        Assert.Equal("RESOURCE:MEMORY", Assert.Single(launch.Failures).Reason);
        Assert.Equal(0, launch.LaunchedTaskCount);
        var sent = failure["detail"]!["requestParameters"]!.ToJsonString();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(sent), JsonNode.Parse(launch.RequestParameters.GetRawText())),
            "the request parameters must be kept whole, so the retry service can replay them");
    }

    [Fact]
    public async Task A_RunTask_AWS_refused_is_a_launch_failure_named_by_its_error_code()
    {
        // The record shape of a failed request (errorCode, errorMessage, no responseElements) is the CloudTrail record
        // contents reference's; the message is the one AWS gives an EventBridge role that may not run the task
        // definition (quoted in pulumi/pulumi#6725).
        var denied = ecs.RefusedLaunch("nightly-report", start, "AccessDenied",
            "User: arn:aws:sts::123456789012:assumed-role/ecsEventsRole/events-rule is not authorized to perform: ecs:RunTask on resource: arn:aws:ecs:eu-west-1:123456789012:task-definition/nightly-report:3");
        var noRequest = ecs.RefusedLaunch("etl", start, "ThrottlingException", "Rate exceeded");
        noRequest["detail"]!.AsObject().Remove("requestParameters");

        var response = await app.CreateAuthorizedClient().PostAsync("/events", Json(new JsonArray(denied, noRequest)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(new JsonObject { ["accepted"] = 1, ["ignored"] = 1 }.ToJsonString(), await response.Content.ReadAsStringAsync());
        var launch = Assert.Single(Assert.Single(app.SentBatches()).LaunchFailures);
        Assert.Equal("nightly-report", launch.Family);
        Assert.Equal("batch", launch.ClusterName);
        var failure = Assert.Single(launch.Failures);
        Assert.Equal("AccessDenied", failure.Reason);
        Assert.StartsWith("User: arn:aws:sts::123456789012:assumed-role/ecsEventsRole", failure.Detail);
        Assert.Equal(denied["detail"]!["eventID"]!.GetValue<string>(), launch.CloudTrailEventId);
    }

    [Fact]
    public async Task Events_of_clusters_the_platform_file_does_not_list_are_ignored()
    {
        var file = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, "clusters: [batch]\n");
        try
        {
            await using var watching = new IngestApp(new() { ["Platform:ConfigFile"] = file });
            var other = new EcsEventFactory(cluster: "prod");
            var events = new JsonArray(ecs.Run("etl", start, TimeSpan.FromMinutes(1))[0], other.Run("etl", start, TimeSpan.FromMinutes(1))[0],
                other.LaunchFailure("etl", start), ecs.LaunchFailure("etl", start));

            var response = await watching.CreateAuthorizedClient().PostAsync("/events", Json(events));

            Assert.Equal(new JsonObject { ["accepted"] = 2, ["ignored"] = 2 }.ToJsonString(), await response.Content.ReadAsStringAsync());
            var batches = watching.SentBatches();
            Assert.All(batches.SelectMany(b => b.TaskStateChanges), c => Assert.Equal("batch", c.ClusterName));
            Assert.All(batches.SelectMany(b => b.LaunchFailures), f => Assert.Equal("batch", f.ClusterName));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_RunTask_that_started_tasks_keeps_its_complete_request_for_each_task()
    {
        var request = ecs.RunTaskRequest("etl", start);
        var started = ecs.LaunchSucceeded(request, start, ecs.TaskArn("t1"), ecs.TaskArn("t2"));

        var response = await app.CreateAuthorizedClient().PostAsync("/events", Json(started));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var launch = Assert.Single(Assert.Single(app.SentBatches()).LaunchRequests);
        Assert.Equal([ecs.TaskArn("t1"), ecs.TaskArn("t2")], launch.TaskArns);
        Assert.Equal("etl", launch.Family);
        Assert.True(JsonNode.DeepEquals(request, JsonNode.Parse(launch.RequestParameters.GetRawText())));
    }

    [Fact]
    public async Task A_Step_Functions_execution_status_change_is_normalized_and_sent_to_history()
    {
        // Shape: the Step Functions developer guide's "Execution Status Change" examples (StepFunctionsSamples).
        var sfn = new StepFunctionsSamples();
        var failed = sfn.StatusChange("nightly-etl", "run-42", "FAILED", start, start.AddMinutes(12), "States.TaskFailed", "{\"TaskArn\":\"x\"}");
        var running = sfn.StatusChange("nightly-etl", "run-43", "RUNNING", start);

        var response = await app.CreateAuthorizedClient().PostAsync("/events", Json(new JsonArray(failed, running)));

        Assert.Equal(new JsonObject { ["accepted"] = 2, ["ignored"] = 0 }.ToJsonString(), await response.Content.ReadAsStringAsync());
        var changes = Assert.Single(app.SentBatches()).ExecutionChanges!;
        Assert.Equal(2, changes.Count);
        var end = changes.Single(c => c.Status == "FAILED");
        Assert.Equal(sfn.ExecutionArn("nightly-etl", "run-42"), end.ExecutionArn);
        Assert.Equal("nightly-etl", end.StateMachineName);
        Assert.Equal((start, start.AddMinutes(12)), (end.StartDate, end.StopDate!.Value));
        Assert.Equal(("States.TaskFailed", "{\"TaskArn\":\"x\"}"), (end.Error, end.Cause));
        Assert.Null(changes.Single(c => c.Status == "RUNNING").StopDate);
    }

    [Fact]
    public async Task A_Step_Functions_event_that_is_not_as_AWS_writes_it_is_a_400_naming_the_field()
    {
        var sfn = new StepFunctionsSamples();
        var unknownStatus = sfn.StatusChange("etl", "a", "EXPLODED", start, start.AddMinutes(1));
        var noStop = sfn.StatusChange("etl", "b", "FAILED", start);
        var notAMachine = sfn.StatusChange("etl", "c", "RUNNING", start);
        notAMachine["detail"]!["stateMachineArn"] = "arn:aws:lambda:eu-west-1:123456789012:function:etl";
        var textDate = sfn.StatusChange("etl", "d", "RUNNING", start);
        textDate["detail"]!["startDate"] = "yesterday";

        var response = await app.CreateAuthorizedClient().PostAsync("/events", Json(new JsonArray(unknownStatus, noStop, notAMachine, textDate)));

        var problem = await AssertProblem(response, HttpStatusCode.BadRequest, "$[0].detail.status: 'EXPLODED' is not one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED.");
        var errors = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("$[1].detail.stopDate: required for an execution that ended (FAILED).", errors);
        Assert.Contains(errors, e => e!.StartsWith("$[2].detail.stateMachineArn: ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.StartsWith("$[3].detail.startDate: has the wrong type", StringComparison.Ordinal));
        Assert.Empty(app.SentBatches());
    }

    [Fact]
    public async Task Other_events_are_acknowledged_and_counted_as_ignored()
    {
        var emptyRunTask = ecs.LaunchFailure("etl", start);
        emptyRunTask["detail"]!["responseElements"]!["failures"] = new JsonArray();
        var ec2 = new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(), ["detail-type"] = "EC2 Instance State-change Notification", ["source"] = "aws.ec2",
            ["time"] = "2026-11-20T02:00:00Z", ["detail"] = new JsonObject { ["instance-id"] = "i-0123", ["state"] = "running" },
        };
        var serviceTask = ecs.Run("web", start, TimeSpan.FromMinutes(1), group: "service:web")[0];

        var response = await app.CreateAuthorizedClient().PostAsync("/events", Json(new JsonArray(emptyRunTask, ec2, serviceTask)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(new JsonObject { ["accepted"] = 0, ["ignored"] = 3 }.ToJsonString(), await response.Content.ReadAsStringAsync());
        Assert.Empty(app.SentBatches());
    }

    [Fact]
    public async Task Service_tasks_are_included_when_configured()
    {
        await app.DisposeAsync();
        app = new IngestApp(new() { ["Ingest:IncludeServiceTasks"] = "true" });

        var response = await app.CreateAuthorizedClient().PostAsync("/events", Json(ecs.Run("web", start, TimeSpan.FromMinutes(1), group: "service:web")[0]));

        Assert.Equal(new JsonObject { ["accepted"] = 1, ["ignored"] = 0 }.ToJsonString(), await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("{\"id\": \"1\", ", "not valid JSON")]
    [InlineData("42", "must be a JSON object")]
    [InlineData("{\"id\":\"1\",\"detail-type\":\"ECS Task State Change\",\"source\":\"aws.ecs\",\"time\":\"2026-11-20T02:00:00Z\"}", "$.detail: required")]
    [InlineData("{\"id\":\"1\",\"detail-type\":\"ECS Task State Change\",\"source\":\"aws.ecs\",\"time\":\"2026-11-20T02:00:00Z\",\"detail\":[1]}", "$.detail: required, and must be a JSON object")]
    [InlineData("[{\"detail\":{}}, 7]", "$[1]: an event must be a JSON object")]
    public async Task Malformed_bodies_are_400_problem_details_that_say_what_is_wrong(string body, string expected)
    {
        var response = await app.CreateAuthorizedClient().PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblem(response, HttpStatusCode.BadRequest, expected);
        Assert.Empty(app.SentBatches());
    }

    [Fact]
    public async Task A_field_of_the_wrong_type_is_named_and_nothing_of_the_request_is_published()
    {
        var good = ecs.Run("etl", start, TimeSpan.FromMinutes(1));
        var bad = ecs.Run("etl", start, TimeSpan.FromMinutes(1))[^1];
        bad["detail"]!["containers"]![0]!["exitCode"] = "one";
        var noVersion = ecs.Run("etl", start, TimeSpan.FromMinutes(1))[0];
        noVersion["detail"]!.AsObject().Remove("version");
        var badTime = ecs.Run("etl", start, TimeSpan.FromMinutes(1))[0];
        badTime["time"] = "yesterday";

        var response = await app.CreateAuthorizedClient().PostAsync("/events", Json(new JsonArray([.. good, bad, noVersion, badTime])));

        var problem = await AssertProblem(response, HttpStatusCode.BadRequest, "$[8].detail.containers[0].exitCode: has the wrong type");
        var errors = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("$[9].detail.version: required (ECS orders a task's events by it).", errors);
        Assert.Contains("$[10].time: 'yesterday' is not an ISO 8601 time.", errors);
        Assert.Equal(3, errors.Count);
        Assert.Empty(app.SentBatches());
    }

    [Fact]
    public async Task An_event_over_256_KB_is_413()
    {
        var huge = ecs.Run("etl", start, TimeSpan.FromMinutes(1))[0];
        huge["detail"]!["stoppedReason"] = new string('x', 260 * 1024);

        var response = await app.CreateAuthorizedClient().PostAsync("/events", Json(new JsonArray(ecs.Run("etl", start, TimeSpan.FromMinutes(1))[0], huge)));

        await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "$[1]: the event is larger than EventBridge's limit of 256 KB.");
        Assert.Empty(app.SentBatches());
    }

    [Fact]
    public async Task A_body_over_10_MB_is_413()
    {
        var events = new JsonArray();
        var size = 0;
        while (size <= 10 * 1024 * 1024)
        {
            var e = ecs.Run("etl", start, TimeSpan.FromMinutes(1))[0];
            e["detail"]!["stoppedReason"] = new string('x', 200 * 1024);
            size += 200 * 1024;
            events.Add(e);
        }

        var response = await app.CreateAuthorizedClient().PostAsync("/events", Json(events));

        await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "larger than 10 MB");
        Assert.Empty(app.SentBatches());
    }

    private static StringContent Json(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

    private static async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string expected)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(expected, problem.GetProperty("detail").GetString());
        return problem;
    }
}

public class ReceiveEventsEncodingTests : IAsyncLifetime
{
    private readonly IngestApp app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Invalid_UTF8_and_absurd_nesting_are_400_not_500()
    {
        var client = app.CreateAuthorizedClient();
        byte[] invalidUtf8 = [.. "{\"id\":\""u8, 0xFF, 0xFE, .. "\",\"detail\":{}}"u8];
        var deep = new string('[', 200) + new string(']', 200);

        var responses = new[]
        {
            await client.PostAsync("/events", new ByteArrayContent(invalidUtf8) { Headers = { ContentType = new("application/json") } }),
            await client.PostAsync("/events", new StringContent(deep, System.Text.Encoding.UTF8, "application/json")),
            await client.PostAsync("/events", new StringContent("", System.Text.Encoding.UTF8, "application/json")),
        };

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.All(responses, r => Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType));
        Assert.Empty(app.SentBatches());
    }
}
