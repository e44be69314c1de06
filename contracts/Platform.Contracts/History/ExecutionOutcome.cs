namespace Platform.Contracts.History;

/// <summary>
/// How a Step Functions execution went, from its own history (GetExecutionHistory): the state that failed, with the
/// error and cause Step Functions gave, the ECS task that state ran last, and how many of its task attempts failed
/// (retried by the state machine's <c>Retry</c>, so not alerted one by one). <see cref="HistoryRead"/> is false when the
/// execution's history could not be read: then only the execution's own error and cause are known.
/// <see cref="Attempts"/>: the ECS tasks its states ran, in order.
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
    IReadOnlyList<ExecutionAttempt>? Attempts = null);
