using System.Text.Json;

namespace Platform.Contracts.History;

/// <summary>
/// A run that reached STOPPED and failed. Published once per run; dedupe on <see cref="RunId"/>.
/// <see cref="LaunchRequest"/> is the RunTask request that started it, when CloudTrail's record of it arrived first
/// (<see cref="LaunchRequestEventId"/>: that record's <c>eventID</c>, which a retry looks up in CloudTrail).
/// <see cref="Replayed"/>: its end came from an import, and nothing may act on it.
/// <see cref="Execution"/>: the run is a Step Functions execution (its <see cref="TaskArn"/> and <see cref="Containers"/>
/// are those of the last ECS task of the state that failed, when there was one).
/// </summary>
public record RunFailed(
    string RunId,
    string Job,
    string Cluster,
    string TaskArn,
    string TaskDefinitionArn,
    string Region,
    string Account,
    string? StartedBy,
    string? Group,
    FailureKind Kind,
    string Reason,
    string? StopCode,
    IReadOnlyList<ContainerOutcome> Containers,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? StoppedAt,
    TimeSpan? Duration,
    JsonElement? LaunchRequest = null,
    string? LaunchRequestEventId = null,
    bool Replayed = false,
    ExecutionOutcome? Execution = null);
