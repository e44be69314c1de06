namespace Platform.History.Features.RecordRetryDecisions;

/// <summary>
/// What the retry service decided, on the job's timeline (stream key <c>retry:&lt;chain&gt;</c>, or
/// <c>timeout:&lt;task ARN&gt;</c>). Runs of one chain share its id (<see cref="TrackRuns.Run.Chain"/>), which links a
/// failure to its relaunches and their outcomes.
/// </summary>
public sealed record RetryDecisionRecorded(
    string Job,
    string Decision,
    string? Chain,
    int? Attempt,
    int? MaxAttempts,
    DateTimeOffset At,
    string? TaskArn,
    string Detail);

/// <summary>
/// A decision as a document (id: its event's), stored in the same commit as the event, so a job's decisions are read
/// by index instead of by scanning the event store; <c>rebuild</c> makes them from the events.
/// </summary>
public sealed record RetryDecision(Guid Id, string Job, DateTimeOffset At, RetryDecisionRecorded Recorded);
