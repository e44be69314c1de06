using Platform.ServiceDefaults.Aws;

namespace Platform.ServiceDefaults.Configuration;

/// <summary>
/// Links to a task and its logs in the AWS console, for Slack messages and the dashboard. Their parts come from events
/// anyone with the ingest key can post, so a link is built only from validated parts: a region that is an AWS region
/// name (it becomes the host), and every other part URL-encoded. Anything else gives no link (null).
/// </summary>
public static class AwsConsoleLinks
{
    public static LogLinkConfig DefaultLogs { get; } = new("/ecs/{family}", "ecs/{container}/{taskId}");

    public static string TaskId(string taskArn) => taskArn[(taskArn.LastIndexOf('/') + 1)..];

    public static string? Task(string region, string cluster, string taskArn) => AwsRegion.IsValid(region)
        ? $"https://{region}.console.aws.amazon.com/ecs/v2/clusters/{Uri.EscapeDataString(EcsNames.Cluster(cluster))}/tasks/{Uri.EscapeDataString(TaskId(taskArn))}/configuration?region={region}"
        : null;

    public static string? Execution(string region, string executionArn) => AwsRegion.IsValid(region)
        ? $"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{Uri.EscapeDataString(executionArn)}"
        : null;

    /// <param name="logs">The route's log location (placeholders {job}, {family}, {container}, {taskId}); null: ECS's awslogs defaults.</param>
    public static string? Logs(string region, string taskDefinitionArn, string taskArn, string? container, LogLinkConfig? logs)
    {
        if (!AwsRegion.IsValid(region))
            return null;
        var family = EcsNames.Family(taskDefinitionArn);
        var taskId = TaskId(taskArn);
        var location = logs ?? DefaultLogs;
        string Fill(string pattern) => pattern.Replace("{job}", family).Replace("{family}", family).Replace("{container}", container ?? "app").Replace("{taskId}", taskId);
        return $"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{CloudWatchEscape(Fill(location.Group))}/log-events/{CloudWatchEscape(Fill(location.Stream))}";
    }

    // The CloudWatch console double-encodes path parts in its fragment: '/' is '$252F'.
    private static string CloudWatchEscape(string value) => Uri.EscapeDataString(value).Replace("%", "$25", StringComparison.Ordinal);
}
