using Platform.ServiceDefaults.Aws;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Refit;

namespace Platform.Retry.Features.CallAws;

/// <summary>
/// The three ECS calls the retry service makes, on ECS's JSON 1.1 protocol (<c>POST /</c> with <c>X-Amz-Target</c>).
/// Requests are JSON objects so that a relaunch can replay a recorded RunTask request whole, including fields this
/// code does not know.
/// </summary>
public interface IEcsApi
{
    [Post("/")]
    [Headers("X-Amz-Target: AmazonEC2ContainerServiceV20141113.RunTask")]
    Task<RunTaskResponse> RunTaskAsync([Body] JsonObject request, CancellationToken ct);

    [Post("/")]
    [Headers("X-Amz-Target: AmazonEC2ContainerServiceV20141113.StopTask")]
    Task<StopTaskResponse> StopTaskAsync([Body] StopTaskRequest request, CancellationToken ct);

    [Post("/")]
    [Headers("X-Amz-Target: AmazonEC2ContainerServiceV20141113.DescribeTasks")]
    Task<DescribeTasksResponse> DescribeTasksAsync([Body] DescribeTasksRequest request, CancellationToken ct);
}

public sealed record EcsTask(string TaskArn, string? LastStatus, string? DesiredStatus, string? StartedBy, string? Group,
    DateTimeOffset? CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? StoppedAt, string? StoppedReason,
    string? ClusterArn = null, string? TaskDefinitionArn = null);

public sealed record EcsFailure(string? Arn, string? Reason, string? Detail);

public sealed record RunTaskResponse(IReadOnlyList<EcsTask>? Tasks, IReadOnlyList<EcsFailure>? Failures);

public sealed record StopTaskRequest(string Cluster, string Task, string Reason);

public sealed record StopTaskResponse(EcsTask? Task);

public sealed record DescribeTasksRequest(string Cluster, IReadOnlyList<string> Tasks);

public sealed record DescribeTasksResponse(IReadOnlyList<EcsTask>? Tasks, IReadOnlyList<EcsFailure>? Failures);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(EpochSecondsConverter)])]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(RunTaskResponse))]
[JsonSerializable(typeof(StopTaskRequest))]
[JsonSerializable(typeof(StopTaskResponse))]
[JsonSerializable(typeof(DescribeTasksRequest))]
[JsonSerializable(typeof(DescribeTasksResponse))]
public sealed partial class EcsJsonContext : JsonSerializerContext;
