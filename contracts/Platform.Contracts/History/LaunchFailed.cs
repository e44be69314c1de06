using System.Text.Json;
using Platform.Contracts.Ingest;

namespace Platform.Contracts.History;

/// <summary>
/// A launch attempt that failed before any task existed. Carries the complete original request so that it can be
/// relaunched. Published once per attempt; dedupe on <see cref="RunId"/>.
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
    JsonElement RequestParameters);
