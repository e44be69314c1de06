namespace Platform.Contracts.Ingest;

/// <summary>
/// A Step Functions "Execution Status Change" event (EventBridge, source <c>aws.states</c>): what DescribeExecution
/// would say at that moment. <see cref="Status"/> is RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED;
/// <see cref="Error"/> and <see cref="Cause"/> are set when the execution failed, timed out or was aborted with them.
/// </summary>
public record ExecutionStatusChanged(
    string EventId,
    DateTimeOffset Time,
    string Account,
    string Region,
    string ExecutionArn,
    string StateMachineArn,
    string Name,
    string Status,
    DateTimeOffset StartDate,
    DateTimeOffset? StopDate,
    string? Error,
    string? Cause)
{
    /// <summary><c>arn:aws:states:eu-west-1:123456789012:stateMachine:nightly-etl</c> is <c>nightly-etl</c>.</summary>
    public string StateMachineName => StateMachineArn[(StateMachineArn.LastIndexOf(':') + 1)..];

    public bool Ended => Status != "RUNNING";
}
