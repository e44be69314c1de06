using System.Globalization;
using System.Text.Json.Nodes;

namespace Platform.EcsSamples;

/// <summary>One ECS task a Task state ran: its id and the exit code of its <c>app</c> container (0: it succeeded).</summary>
public sealed record TaskAttempt(string TaskId, int ExitCode = 0);

/// <summary>One Task state (<c>arn:aws:states:::ecs:runTask.sync</c>) and the tasks its <c>Retry</c> ran, in order.</summary>
public sealed record TaskStep(string State, params TaskAttempt[] Attempts)
{
    public bool Succeeded => Attempts.Length > 0 && Attempts[^1].ExitCode == 0;
}

/// <summary>
/// Step Functions as AWS writes it, for tests, the simulator and the demo. Shapes from AWS's documentation:
/// <list type="bullet">
/// <item>"Execution Status Change" events: Step Functions developer guide, "EventBridge for Step Functions execution
/// status changes" (cw-events.html): <c>detail</c> is DescribeExecution's, dates in epoch milliseconds, <c>error</c> and
/// <c>cause</c> on a failure (the same fields appear in public Lambda tests handling these events).</item>
/// <item>GetExecutionHistory: Step Functions API reference (HistoryEvent: id, previousEventId, timestamp in epoch
/// seconds, type, one details member per type); the <c>ecs:runTask.sync</c> integration's TaskSubmitted output is
/// RunTask's response in PascalCase (<c>{"Tasks":[{"TaskArn":…}]}</c>, as public code reading these histories parses
/// it), and a failed task's TaskFailed cause is the stopped task (<c>TaskArn</c>, <c>StopCode</c>, <c>Containers</c>).</item>
/// </list>
/// </summary>
public sealed class StepFunctionsSamples(string account = "123456789012", string region = "eu-west-1", string cluster = "batch")
{
    private readonly EcsEventFactory ecs = new(account, region, cluster);

    /// <summary>What ECS writes in <c>startedBy</c> of the tasks a Step Functions state starts.</summary>
    public const string StartedBy = "AWS Step Functions";

    public string StateMachineArn(string stateMachine) => $"arn:aws:states:{region}:{account}:stateMachine:{stateMachine}";

    public string ExecutionArn(string stateMachine, string execution) => $"arn:aws:states:{region}:{account}:execution:{stateMachine}:{execution}";

    /// <summary>An "Execution Status Change" event (status RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED).</summary>
    public JsonObject StatusChange(string stateMachine, string execution, string status, DateTimeOffset start, DateTimeOffset? stop = null,
        string? error = null, string? cause = null)
    {
        var arn = ExecutionArn(stateMachine, execution);
        return new JsonObject
        {
            ["version"] = "0",
            ["id"] = DeterministicGuid($"{arn}/{status}").ToString(),
            ["detail-type"] = "Step Functions Execution Status Change",
            ["source"] = "aws.states",
            ["account"] = account,
            ["time"] = (stop ?? start).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["region"] = region,
            ["resources"] = new JsonArray(arn),
            ["detail"] = new JsonObject
            {
                ["executionArn"] = arn,
                ["stateMachineArn"] = StateMachineArn(stateMachine),
                ["name"] = execution,
                ["status"] = status,
                ["startDate"] = start.ToUnixTimeMilliseconds(),
                ["stopDate"] = stop?.ToUnixTimeMilliseconds(),
                ["input"] = "{}",
                ["output"] = status == "SUCCEEDED" ? "{}" : null,
                ["inputDetails"] = new JsonObject { ["included"] = true },
                ["outputDetails"] = status == "SUCCEEDED" ? new JsonObject { ["included"] = true } : null,
                ["error"] = error,
                ["cause"] = cause,
            },
        };
    }

    /// <summary>
    /// The ECS events of the tasks an execution's steps ran (each attempt <paramref name="taskLength"/> long, one after
    /// the other from <paramref name="start"/>), started by Step Functions; each step's task definition family is named
    /// like its state.
    /// </summary>
    public List<JsonObject> TaskEvents(DateTimeOffset start, TimeSpan taskLength, params TaskStep[] steps) =>
        TaskEvents(start, taskLength, TimeSpan.FromSeconds(30), 1, steps);

    /// <param name="gap">Between one task's stop and the next one's creation (a Retry's interval).</param>
    /// <param name="pace">Scales ECS's own lifecycle steps (<see cref="EcsEventFactory.SimulatorPace"/>).</param>
    public List<JsonObject> TaskEvents(DateTimeOffset start, TimeSpan taskLength, TimeSpan gap, double pace, params TaskStep[] steps)
    {
        var events = new List<JsonObject>();
        var at = start;
        foreach (var (state, attempt) in steps.SelectMany(s => s.Attempts.Select(a => (s.State, a))))
        {
            var run = ecs.Run(state, at, taskLength, attempt.ExitCode == 0 ? RunEnding.Success : RunEnding.ExitCode, taskId: attempt.TaskId,
                exitCode: attempt.ExitCode, startedBy: StartedBy, pace: pace);
            events.AddRange(run);
            at = UpdatedAt(run[^1]) + gap;
        }
        return events;
    }

    /// <summary>When an ECS event says it happened (<c>detail.updatedAt</c>), or an execution's event (<c>time</c>).</summary>
    public static DateTimeOffset UpdatedAt(JsonObject e) => DateTimeOffset.Parse(
        (e["detail"]?["updatedAt"] ?? e["time"])!.GetValue<string>(), CultureInfo.InvariantCulture);

    /// <summary>
    /// GetExecutionHistory's response for an execution that ran <paramref name="steps"/> in order: each attempt a
    /// TaskScheduled, TaskStarted, TaskSubmitted and TaskSucceeded or TaskFailed; the execution ends succeeded when
    /// the last step's last attempt succeeded, failed (States.TaskFailed) when a step's did not.
    /// </summary>
    public JsonObject History(string stateMachine, string execution, DateTimeOffset start, params TaskStep[] steps)
    {
        var events = new JsonArray();
        var at = start;
        long id = 0;
        long Add(string type, long previous, string? detailsName = null, JsonObject? details = null)
        {
            var e = new JsonObject
            {
                ["timestamp"] = Math.Round(at.ToUnixTimeMilliseconds() / 1000.0, 3),
                ["type"] = type,
                ["id"] = ++id,
                ["previousEventId"] = previous,
            };
            if (detailsName is not null)
                e[detailsName] = details;
            events.Add(e);
            at = at.AddSeconds(1);
            return id;
        }
        JsonObject Task(string? output = null, string? error = null, string? cause = null) => new()
        {
            ["resourceType"] = "ecs",
            ["resource"] = "runTask.sync",
            ["output"] = output,
            ["error"] = error,
            ["cause"] = cause,
        };

        var last = Add("ExecutionStarted", 0, "executionStartedEventDetails", new JsonObject
        {
            ["input"] = "{}", ["roleArn"] = $"arn:aws:iam::{account}:role/StepFunctions-{stateMachine}",
        });
        foreach (var step in steps)
        {
            var entered = Add("TaskStateEntered", last, "stateEnteredEventDetails", new JsonObject { ["name"] = step.State, ["input"] = "{}" });
            last = entered;
            foreach (var attempt in step.Attempts)
            {
                var arn = ecs.TaskArn(attempt.TaskId);
                last = Add("TaskScheduled", last, "taskScheduledEventDetails", new JsonObject
                {
                    ["resourceType"] = "ecs", ["resource"] = "runTask.sync", ["region"] = region,
                    ["parameters"] = $$"""{"Cluster":"{{cluster}}","TaskDefinition":"{{step.State}}"}""",
                });
                last = Add("TaskStarted", last, "taskStartedEventDetails", new JsonObject { ["resourceType"] = "ecs", ["resource"] = "runTask.sync" });
                last = Add("TaskSubmitted", last, "taskSubmittedEventDetails", Task(output: $$"""{"Tasks":[{"TaskArn":"{{arn}}","LastStatus":"PROVISIONING"}]}"""));
                last = attempt.ExitCode == 0
                    ? Add("TaskSucceeded", last, "taskSucceededEventDetails", Task(output: StoppedTask(arn, 0)))
                    : Add("TaskFailed", last, "taskFailedEventDetails", Task(error: "States.TaskFailed", cause: StoppedTask(arn, attempt.ExitCode)));
            }
            if (!step.Succeeded)
            {
                var failure = (JsonObject)events[^1]!["taskFailedEventDetails"]!;
                Add("ExecutionFailed", last, "executionFailedEventDetails", new JsonObject
                {
                    ["error"] = failure["error"]!.DeepClone(), ["cause"] = failure["cause"]!.DeepClone(),
                });
                return new JsonObject { ["events"] = events };
            }
            last = Add("TaskStateExited", last, "stateExitedEventDetails", new JsonObject { ["name"] = step.State, ["output"] = "{}" });
        }
        Add("ExecutionSucceeded", last, "executionSucceededEventDetails", new JsonObject { ["output"] = "{}" });
        return new JsonObject { ["events"] = events };
    }

    /// <summary>A stopped task as the <c>.sync</c> integration gives it (DescribeTasks' task in PascalCase).</summary>
    private string StoppedTask(string taskArn, int exitCode) => new JsonObject
    {
        ["TaskArn"] = taskArn,
        ["ClusterArn"] = $"arn:aws:ecs:{region}:{account}:cluster/{cluster}",
        ["LastStatus"] = "STOPPED",
        ["StopCode"] = "EssentialContainerExited",
        ["StoppedReason"] = "Essential container in task exited",
        ["Containers"] = new JsonArray(new JsonObject { ["Name"] = "app", ["ExitCode"] = exitCode, ["LastStatus"] = "STOPPED" }),
    }.ToJsonString();

    private static Guid DeterministicGuid(string text) =>
        new(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}
