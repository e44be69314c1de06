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

    /// <summary>The complete original RunTask request, with our marker in startedBy.</summary>
    public required JsonObject Request { get; init; }

    public RelaunchStatus Status { get; init; } = RelaunchStatus.Pending;
    public string? TaskArn { get; init; }
    public string? Error { get; init; }

    public static string IdFor(string chain, int attempt) => $"{chain}/{attempt}";
}

/// <summary>Inserted once when a chain runs out of attempts, so RetriesExhausted is published once.</summary>
public sealed record ChainExhausted(string Id, string Job, int Attempts, string LastReason);
