using System.Text.Json;
using Platform.Contracts.History;

namespace Platform.History.Features.LinkExecutions;

/// <summary>
/// Reads an execution's history (GetExecutionHistory's events) into what the platform tells: each ECS task a Task state
/// ran and how it ended, the state that failed, its error and cause, and the last task of that state. Events form a
/// chain through <c>previousEventId</c>; a task event belongs to the state entered last on its chain (so Parallel and
/// Map branches are read right).
/// </summary>
public static class ExecutionHistoryReader
{
    public static ExecutionOutcome Read(string executionArn, string stateMachineArn, IReadOnlyList<HistoryEvent> events)
    {
        var byId = events.ToDictionary(e => e.Id);
        var attempts = new List<ExecutionAttempt>();
        var pending = new Dictionary<string, string>();
        foreach (var e in events)
        {
            var state = StateOf(e, byId);
            switch (e)
            {
                case { TaskSubmittedEventDetails: { ResourceType: "ecs" } submitted } when TaskArnOf(submitted.Output) is { } arn && state is not null:
                    pending[state] = arn;
                    break;
                case { TaskSucceededEventDetails: { ResourceType: "ecs" } succeeded } when state is not null:
                    if ((pending.Remove(state, out var done) ? done : TaskArnOf(succeeded.Output)) is { } ok)
                        attempts.Add(new ExecutionAttempt(state, ok, true, null));
                    break;
                case { TaskFailedEventDetails: { ResourceType: "ecs" } failed } when state is not null:
                    if ((pending.Remove(state, out var f) ? f : TaskArnOf(failed.Cause)) is { } failedArn)
                        attempts.Add(new ExecutionAttempt(state, failedArn, false, failed.Error));
                    break;
                case { TaskTimedOutEventDetails: { ResourceType: "ecs" } timedOut } when state is not null:
                    if (pending.Remove(state, out var t))
                        attempts.Add(new ExecutionAttempt(state, t, false, timedOut.Error ?? "States.Timeout"));
                    break;
            }
        }

        var end = events.LastOrDefault(e => e.ExecutionFailedEventDetails is not null || e.ExecutionTimedOutEventDetails is not null
            || e.ExecutionAbortedEventDetails is not null);
        var details = end?.ExecutionFailedEventDetails ?? end?.ExecutionTimedOutEventDetails ?? end?.ExecutionAbortedEventDetails;
        // The state that failed: the one the failure came from, or, for a timeout or an abort, the one still running.
        var failedState = end is null ? null : StateOf(end, byId) ?? LastUnfinishedState(events);
        var lastTask = failedState is null
            ? null
            : pending.GetValueOrDefault(failedState) ?? attempts.LastOrDefault(a => a.State == failedState)?.TaskArn;
        var status = events.Select(e => e.Type).LastOrDefault(t => t is "ExecutionSucceeded" or "ExecutionFailed" or "ExecutionTimedOut" or "ExecutionAborted") switch
        {
            "ExecutionSucceeded" => "SUCCEEDED",
            "ExecutionFailed" => "FAILED",
            "ExecutionTimedOut" => "TIMED_OUT",
            "ExecutionAborted" => "ABORTED",
            _ => null,
        };
        return new ExecutionOutcome(executionArn, stateMachineArn, failedState, details?.Error, details?.Cause, lastTask,
            attempts.Count(a => !a.Succeeded), Attempts: attempts, Status: status);
    }

    /// <summary>The state whose events <paramref name="e"/> follows: the nearest state entered on its chain.</summary>
    private static string? StateOf(HistoryEvent e, IReadOnlyDictionary<long, HistoryEvent> byId)
    {
        var current = e;
        for (var hops = 0; hops < 10_000 && current is not null; hops++)
        {
            if (current.StateEnteredEventDetails is { } entered && current.Type.EndsWith("StateEntered", StringComparison.Ordinal))
                return entered.Name;
            if (current.Type.EndsWith("StateExited", StringComparison.Ordinal) && current != e)
                return null;
            current = byId.GetValueOrDefault(current.PreviousEventId);
        }
        return null;
    }

    private static string? LastUnfinishedState(IReadOnlyList<HistoryEvent> events)
    {
        string? last = null;
        foreach (var e in events)
        {
            if (e.Type.EndsWith("StateEntered", StringComparison.Ordinal))
                last = e.StateEnteredEventDetails?.Name;
            else if (e.Type.EndsWith("StateExited", StringComparison.Ordinal))
                last = null;
        }
        return last;
    }

    /// <summary>
    /// The task ARN in a Task state's output or cause: RunTask's response (<c>{"Tasks":[{"TaskArn":…}]}</c>, as the
    /// <c>.sync</c> integration writes it, or <c>tasks[].taskArn</c>) or, for a failed <c>.sync</c> task, the task itself.
    /// </summary>
    public static string? TaskArnOf(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return null;
            if (Property(root, "TaskArn") is { ValueKind: JsonValueKind.String } own)
                return own.GetString();
            if (Property(root, "Tasks") is { ValueKind: JsonValueKind.Array } tasks)
                foreach (var task in tasks.EnumerateArray())
                    if (task.ValueKind == JsonValueKind.Object && Property(task, "TaskArn") is { ValueKind: JsonValueKind.String } arn)
                        return arn.GetString();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement? Property(JsonElement obj, string name)
    {
        foreach (var property in obj.EnumerateObject())
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                return property.Value;
        return null;
    }
}
