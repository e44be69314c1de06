using System.Text.Json;

namespace Platform.Contracts.Ingest;

/// <summary>An "ECS Task State Change" event from EventBridge, normalized.</summary>
/// <param name="Version">ECS's <c>detail.version</c>: increases with every change of one task, so it orders them.</param>
public record TaskStateChanged(
    string EventId,
    DateTimeOffset Time,
    string Account,
    string Region,
    string ClusterArn,
    string TaskArn,
    string TaskDefinitionArn,
    string Family,
    int? Revision,
    string? Group,
    string? StartedBy,
    string? LaunchType,
    string? CapacityProviderName,
    string LastStatus,
    string? DesiredStatus,
    string? StopCode,
    string? StoppedReason,
    IReadOnlyList<ContainerState> Containers,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? StoppingAt,
    DateTimeOffset? StoppedAt,
    long Version,
    JsonElement? Overrides)
{
    public string ClusterName => ClusterArn[(ClusterArn.LastIndexOf('/') + 1)..];
}
