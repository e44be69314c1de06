using System.Text.Json;
using Platform.Contracts.Ingest;

namespace Platform.Contracts.History;

/// <summary>
/// A launch attempt that failed before any task existed, with the request as the event stated it. A relaunch replays
/// only what CloudTrail returns for <see cref="CloudTrailEventId"/>. Published once per attempt; dedupe on
/// <see cref="RunId"/>. <see cref="Replayed"/>: it came from an import, and nothing may act on it.
/// </summary>
public record LaunchFailed(
    string RunId,
    string Job,
    string Cluster,
    string TaskDefinition,
    string Region,
    string Account,
    string EventName,
    string? StartedBy,
    string? Group,
    string Reason,
    IReadOnlyList<LaunchFailure> Failures,
    DateTimeOffset Time,
    JsonElement RequestParameters,
    string? CloudTrailEventId = null,
    bool Replayed = false);
