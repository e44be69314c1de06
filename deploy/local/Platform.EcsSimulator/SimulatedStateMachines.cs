using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.EcsSamples;

namespace Platform.EcsSimulator;

/// <summary>A state machine of <c>ecs:runTask.sync</c> Task states run in order, each with a <c>Retry</c> (section <c>Simulator:StateMachines:&lt;name&gt;</c>).</summary>
public sealed class SimulatedStateMachine
{
    public List<SimulatedStep> Steps { get; set; } = [];

    /// <summary>The Retry's MaxAttempts + 1: how many tasks a step may run before the execution fails.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The Retry's interval between one attempt's end and the next.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long each task runs.</summary>
    public TimeSpan RunFor { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Start an execution this often, as an EventBridge schedule targeting the state machine would.</summary>
    public TimeSpan? Every { get; set; }
}

public sealed class SimulatedStep
{
    public string State { get; set; } = "";

    /// <summary>How many of the step's first attempts fail (exit code <see cref="ExitCode"/>) before one succeeds.</summary>
    public int Failures { get; set; }

    public int ExitCode { get; set; } = 1;
}

/// <summary>
/// Runs the configured state machines' executions as Step Functions would: the execution's status changes and its
/// tasks' ECS events (started by "AWS Step Functions") go to ingest at the times they happen, and GetExecutionHistory
/// answers with the execution's history in AWS's shape (<see cref="StepFunctionsSamples"/>).
/// </summary>
public sealed class SimulatedStateMachines(IOptions<SimulatorOptions> options, EventForwarder events, TimeProvider clock) : BackgroundService
{
    private readonly ConcurrentDictionary<string, JsonObject> histories = new();
    private StepFunctionsSamples Samples => new(options.Value.Account, options.Value.Region);

    /// <summary>Starts one execution of <paramref name="name"/>; returns its ARN.</summary>
    public string Start(string name)
    {
        var machine = options.Value.StateMachines.GetValueOrDefault(name) ?? throw new EcsError("StateMachineDoesNotExist", $"State Machine Does Not Exist: '{name}'");
        var sfn = Samples;
        var start = clock.GetUtcNow();
        var execution = $"{start:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var steps = new List<TaskStep>();
        foreach (var step in machine.Steps)
        {
            var failing = Math.Min(step.Failures, machine.MaxAttempts);
            var attempts = Enumerable.Range(1, failing).Select(i => new TaskAttempt($"{execution}-{step.State}-{i}", step.ExitCode)).ToList();
            if (failing < machine.MaxAttempts)
                attempts.Add(new TaskAttempt($"{execution}-{step.State}-{failing + 1}"));
            steps.Add(new TaskStep(step.State, [.. attempts]));
            if (!steps[^1].Succeeded)
                break;
        }
        var taskEvents = sfn.TaskEvents(start.AddSeconds(1), machine.RunFor, machine.RetryInterval, options.Value.Pace, [.. steps]);
        var end = (taskEvents.Count == 0 ? start : taskEvents.Max(StepFunctionsSamples.UpdatedAt)).AddSeconds(1);
        var failed = steps.FirstOrDefault(s => !s.Succeeded);
        var arn = sfn.ExecutionArn(name, execution);
        histories[arn] = sfn.History(name, execution, start, [.. steps]);
        var history = histories[arn]["events"]!.AsArray();
        var cause = history[^1]!["executionFailedEventDetails"]?["cause"]?.GetValue<string>();
        List<JsonObject> all =
        [
            sfn.StatusChange(name, execution, "RUNNING", start),
            .. taskEvents,
            sfn.StatusChange(name, execution, failed is null ? "SUCCEEDED" : "FAILED", start, end, failed is null ? null : "States.TaskFailed", cause),
        ];
        _ = PlayAsync(all.OrderBy(StepFunctionsSamples.UpdatedAt).ToList());
        return arn;
    }

    /// <summary>GetExecutionHistory, as Step Functions answers it (everything in one page).</summary>
    public JsonObject GetExecutionHistory(JsonObject request)
    {
        var arn = request["executionArn"]?.GetValue<string>() ?? throw new EcsError("InvalidArn", "executionArn is required.");
        return histories.TryGetValue(arn, out var history)
            ? (JsonObject)history.DeepClone()
            : throw new EcsError("ExecutionDoesNotExist", $"Execution Does Not Exist: '{arn}'");
    }

    private async Task PlayAsync(IReadOnlyList<JsonObject> scheduled)
    {
        foreach (var e in scheduled)
        {
            var wait = StepFunctionsSamples.UpdatedAt(e) - clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, clock);
            events.Send(e);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Every.RunAsync(options.Value.StateMachines.Select(m => (m.Key, m.Value.Every)), name => Start(name), clock, stoppingToken);
}
