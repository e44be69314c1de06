using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Ingest.Features.NormalizeEcsEvents;

// The shapes of the "detail" of the events we understand, as AWS documents them. Everything is optional here;
// EcsEventParser decides what is required and says which field is missing.

internal sealed record TaskStateChangeDetail(
    string? ClusterArn,
    string? TaskArn,
    string? TaskDefinitionArn,
    string? Group,
    string? StartedBy,
    string? LaunchType,
    string? CapacityProviderName,
    string? LastStatus,
    string? DesiredStatus,
    string? StopCode,
    string? StoppedReason,
    List<ContainerDetail?>? Containers,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? StoppingAt,
    DateTimeOffset? StoppedAt,
    long? Version,
    JsonElement? Overrides);

internal sealed record ContainerDetail(
    string? Name,
    string? LastStatus,
    int? ExitCode,
    string? Reason,
    string? Image,
    string? ContainerArn);

internal sealed record CloudTrailDetail(
    string? EventId,
    string? EventSource,
    string? EventName,
    string? ErrorCode,
    string? ErrorMessage,
    JsonElement? RequestParameters,
    CloudTrailResponseElements? ResponseElements);

internal sealed record CloudTrailResponseElements(List<FailureDetail?>? Failures, List<JsonElement>? Tasks);

internal sealed record FailureDetail(string? Arn, string? Reason, string? Detail);

/// <summary>Step Functions' "Execution Status Change" detail: DescribeExecution's fields, its dates in epoch milliseconds.</summary>
internal sealed record ExecutionStatusDetail(
    string? ExecutionArn,
    string? StateMachineArn,
    string? Name,
    string? Status,
    long? StartDate,
    long? StopDate,
    string? Error,
    string? Cause);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(TaskStateChangeDetail))]
[JsonSerializable(typeof(CloudTrailDetail))]
[JsonSerializable(typeof(ExecutionStatusDetail))]
internal sealed partial class EcsEventJsonContext : JsonSerializerContext;
