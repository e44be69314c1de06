using System.Text.Json;

namespace Platform.Contracts.Ingest;

/// <summary>
/// A RunTask or StartTask call, recorded by CloudTrail, that returned failures: no task may exist for it.
/// <paramref name="RequestParameters"/> is the complete original request, so that it can be replayed.
/// </summary>
public record TaskLaunchFailed(
    string EventId,
    DateTimeOffset Time,
    string Account,
    string Region,
    string EventName,
    string Cluster,
    string TaskDefinition,
    string Family,
    string? Group,
    string? StartedBy,
    IReadOnlyList<LaunchFailure> Failures,
    int LaunchedTaskCount,
    JsonElement RequestParameters)
{
    public string ClusterName => Cluster[(Cluster.LastIndexOf('/') + 1)..];
}
