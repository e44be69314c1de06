using Platform.Contracts.History;

namespace Platform.History.Features.LinkExecutions;

/// <summary>
/// What an ended execution's own history (GetExecutionHistory) says, read once (stream key: the execution ARN): the
/// state that failed, the ECS tasks each state ran. Its tasks' failures are this execution's attempts, not alerts.
/// </summary>
public sealed record ExecutionLinked(string Job, bool Succeeded, ExecutionOutcome Outcome);

/// <summary>
/// A failed ECS task started by Step Functions that no execution claimed (none was open when it stopped, or none that
/// ended named it): alerted as the task it is (stream key: the task ARN).
/// </summary>
public sealed record AttemptReleased(string RunId, string Job);

/// <summary>An execution seen but not linked yet: the linker's to-do list, small whatever the size of history.</summary>
public sealed record OpenExecution(string Id, string Job, string StateMachineArn, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, int FailedReads = 0);

/// <summary>A failed ECS task started by Step Functions, waiting to be claimed by its execution or released.</summary>
public sealed record HeldAttempt(string Id, string Job, DateTimeOffset StoppedAt, DateTimeOffset HeldSince);

/// <summary>The execution that ran an ECS task (by task ARN), so that a task whose events come late is known as an attempt.</summary>
public sealed record ExecutionOfTask(string Id, string ExecutionArn, string State);
