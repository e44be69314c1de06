namespace Platform.Contracts.Digest;

/// <summary>
/// One job over one period (runs created in it, slots due in it), as history's <c>GET /reports</c> gives it and a
/// digest carries it. <see cref="Status"/> is the job's status when the report was made.
/// </summary>
public record JobDigest(
    string Job,
    int Successes,
    DateTimeOffset? EarliestSuccess,
    DateTimeOffset? LatestSuccess,
    int Failures,
    IReadOnlyDictionary<string, int> FailuresByKind,
    int LaunchFailures,
    int Relaunches,
    int MissedSlots,
    TimeSpan? MedianDuration,
    TimeSpan? MaxDuration,
    string Status);
