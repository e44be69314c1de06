using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Platform.Retry.Features.RetryFailures;

[JsonConverter(typeof(JsonStringEnumConverter<RelaunchStatus>))]
public enum RelaunchStatus
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("launched")] Launched,
    [JsonStringEnumMemberName("launch-failed")] LaunchFailed,
    [JsonStringEnumMemberName("refused")] Refused,
}

/// <summary>
/// One planned attempt of a chain, stored before it is due, so a restart resumes it at its time. Its id is
/// <c>chain/attempt</c>: a failure delivered twice plans the same attempt, and the second insert is refused.
/// </summary>
public sealed record Relaunch
{
    public required string Id { get; init; }
    public required string Chain { get; init; }
    public required int Attempt { get; init; }
    public required int MaxAttempts { get; init; }
    public required string Job { get; init; }
    public required string Cluster { get; init; }
    public required DateTimeOffset DueAt { get; init; }
    public required string Reason { get; init; }

    /// <summary>
    /// The complete RunTask request to replay, with our marker in startedBy: ours for a chain's later attempts; for the
    /// first relaunch of someone else's launch, null until CloudTrail returned its record (<see cref="RecordEventId"/>).
    /// </summary>
    public JsonObject? Request { get; init; }

    /// <summary>The CloudTrail <c>eventID</c> of the RunTask to replay, when <see cref="Request"/> is still to be looked up.</summary>
    public string? RecordEventId { get; init; }

    /// <summary>The task definition family the failure named: the recorded request must be of the same.</summary>
    public string? Family { get; init; }

    /// <summary>For a failed run: its task, which ECS must show stopped before anything is relaunched.</summary>
    public string? FailedTaskArn { get; init; }

    /// <summary>When the failure happened (as AWS reports it once checked), and how old it may be when relaunched.</summary>
    public DateTimeOffset? FailedAt { get; init; }

    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>When the attempt was planned: CloudTrail is asked for its record until a bounded while after.</summary>
    public DateTimeOffset? PlannedAt { get; init; }

    public RelaunchStatus Status { get; init; } = RelaunchStatus.Pending;
    public string? TaskArn { get; init; }
    public string? Error { get; init; }

    /// <summary>Whether AWS must still confirm what this attempt replays (the record, the failed task's stop).</summary>
    public bool NeedsCheck => Request is null || (FailedTaskArn is not null && !FailureConfirmed);

    public bool FailureConfirmed { get; init; }

    public static string IdFor(string chain, int attempt) => $"{chain}/{attempt}";
}

/// <summary>Inserted once when a chain runs out of attempts, so RetriesExhausted is published once.</summary>
public sealed record ChainExhausted(string Id, string Job, int Attempts, string LastReason);
