using System.Text.Json;

namespace Platform.Contracts.Ingest;

/// <summary>
/// A RunTask or StartTask call, recorded by CloudTrail, that returned failures: no task may exist for it.
/// <paramref name="RequestParameters"/> is the request as the event states it; a relaunch replays the request that
/// CloudTrail returns for <paramref name="CloudTrailEventId"/> (the record's <c>eventID</c>), never this one.
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
    JsonElement RequestParameters,
    string? CloudTrailEventId = null)
{
    public string ClusterName => Cluster[(Cluster.LastIndexOf('/') + 1)..];
}
