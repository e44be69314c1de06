using System.Text.Json.Serialization;
using Refit;

namespace Platform.History.Features.ReadTaskDefinitions;

/// <summary>ECS's <c>DescribeTaskDefinition</c> on its JSON 1.1 protocol: which containers of a revision are essential.</summary>
public interface ITaskDefinitionsApi
{
    [Post("/")]
    [Headers("X-Amz-Target: AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition")]
    Task<DescribeTaskDefinitionResponse> DescribeTaskDefinitionAsync([Body] DescribeTaskDefinitionRequest request, CancellationToken ct);
}

public sealed record DescribeTaskDefinitionRequest(string TaskDefinition);

public sealed record DescribeTaskDefinitionResponse(TaskDefinitionDescription? TaskDefinition);

public sealed record TaskDefinitionDescription(string? TaskDefinitionArn, IReadOnlyList<ContainerDefinition>? ContainerDefinitions);

/// <summary><c>essential</c> may be absent: ECS's default is true ("If the essential parameter is not specified, it's assumed to be true").</summary>
public sealed record ContainerDefinition(string Name, bool? Essential);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DescribeTaskDefinitionRequest))]
[JsonSerializable(typeof(DescribeTaskDefinitionResponse))]
public sealed partial class TaskDefinitionsJsonContext : JsonSerializerContext;
