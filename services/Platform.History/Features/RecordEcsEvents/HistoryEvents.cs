using Platform.Contracts.History;
using Platform.Contracts.Ingest;

namespace Platform.History.Features.RecordEcsEvents;

// The events stored in a run's stream (stream key: the task ARN, or "launch:<event id>" for a launch that failed
// before any task existed). The job is fixed when the event is recorded, so a replay names runs as they were named.

/// <summary>An ECS task state change, as received.</summary>
public sealed record TaskStateRecorded(string Job, TaskStateChanged Change);

/// <summary>
/// The first events of a task that had not stopped yet opened its run: what the outcome publisher turns into
/// <c>RunStarted</c>, so that it reads these instead of every task state change.
/// </summary>
/// <c>Replayed</c>: opened by an import, so nothing may act on it.
public sealed record RunOpened(string RunId, string Job, string Cluster, string TaskArn, string Region, DateTimeOffset CreatedAt, string? StartedBy,
    bool Replayed = false);

/// <summary>A RunTask/StartTask call that returned failures: the run begins and ends here (<c>Replayed</c>: by an import).</summary>
public sealed record LaunchFailureRecorded(string Job, TaskLaunchFailed Failure, bool Replayed = false)
{
    public string Reason => Failure.Failures.Count > 0 ? Failure.Failures[0].Reason : "UNKNOWN";
}

/// <summary>
/// A RunTask call that started tasks, with its complete request (stream key: <c>launch-request:&lt;event id&gt;</c>), so a
/// failed run can be retried exactly as it was launched.
/// </summary>
public sealed record LaunchRequestRecorded(string Job, TaskLaunchRequested Request);

/// <summary>
/// The request that launched a task, by task ARN (written with its <see cref="LaunchRequestRecorded"/>), and the
/// CloudTrail record's <c>eventID</c>, under which a retry asks CloudTrail for the request it may replay.
/// </summary>
public sealed record LaunchRequest(string Id, string Job, System.Text.Json.JsonElement Parameters, string? CloudTrailEventId = null);

/// <summary>
/// The task reached STOPPED and was classified; appended once per run (<c>Replayed</c>: its end came from an import;
/// <c>ClassificationAssumed</c>: the task had several containers and its task definition could not be read, so which
/// of them were essential was guessed).
/// </summary>
public sealed record RunFinished(
    string RunId,
    string Job,
    bool Succeeded,
    FailureKind? Kind,
    string? Reason,
    string? StopCode,
    IReadOnlyList<ContainerOutcome> Containers,
    DateTimeOffset FinishedAt,
    TimeSpan? Duration = null,
    DateTimeOffset? CreatedAt = null,
    string? Cluster = null,
    bool Replayed = false,
    bool ClassificationAssumed = false);

/// <summary>
/// A run took longer than its job's baseline × slowFactor, or its monitor's maxDuration; or (<c>TooShort</c>) a successful
/// run was shorter than its monitor's minDuration (stream <c>slow:&lt;run&gt;</c>).
/// </summary>
public sealed record RunSlowDetected(string Job, string RunId, string Cluster, TimeSpan Duration, TimeSpan? Baseline, TimeSpan Threshold,
    bool TooShort = false);

/// <summary>A Step Functions execution's status change, as received (stream key: the execution ARN).</summary>
public sealed record ExecutionStatusRecorded(string Job, ExecutionStatusChanged Change);
