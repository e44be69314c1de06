namespace Platform.Contracts.History;

/// <summary>
/// How a Step Functions execution went, from its own history (GetExecutionHistory): the state that failed, with the
/// error and cause Step Functions gave, the ECS task that state ran last, and how many of its task attempts failed
/// (retried by the state machine's <c>Retry</c>, so not alerted one by one). <see cref="HistoryRead"/> is false when the
/// execution's history could not be read: then only the execution's own error and cause are known.
/// <see cref="Attempts"/>: the ECS tasks its states ran, in order. <see cref="Status"/>: how it ended by its own
/// history (SUCCEEDED, FAILED, TIMED_OUT or ABORTED), which decides over what an event claimed.
/// </summary>
public record ExecutionOutcome(
    string ExecutionArn,
    string StateMachineArn,
    string? FailedState,
    string? Error,
    string? Cause,
    string? LastTaskArn,
    int FailedAttempts,
    bool HistoryRead = true,
    IReadOnlyList<ExecutionAttempt>? Attempts = null,
    string? Status = null)
{
    /// <summary>The failure kind of an execution that ended with <paramref name="status"/>; null for SUCCEEDED.</summary>
    public static FailureKind? KindOf(string? status) => status switch
    {
        "SUCCEEDED" or null => null,
        "TIMED_OUT" => FailureKind.TimedOut,
        "ABORTED" => FailureKind.Aborted,
        _ => FailureKind.Failed,
    };
}
