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
