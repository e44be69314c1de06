namespace Platform.Contracts.History;

/// <summary>
/// A run that reached STOPPED and succeeded, published when it may end an incident: the first success of a job after a
/// failed, never-launched or missed run (and a job's first success, unknown before). Most successes are not published:
/// the digest reads them from history. Dedupe on the message id. <see cref="Execution"/>: the run is a Step Functions
/// execution (with the task attempts that failed before it succeeded).
/// </summary>
public record RunSucceeded(
    string RunId,
    string Job,
    string Cluster,
    string TaskArn,
    string TaskDefinitionArn,
    string Region,
    string Account,
    string? StartedBy,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? StoppedAt,
    TimeSpan? Duration,
    ExecutionOutcome? Execution = null);
