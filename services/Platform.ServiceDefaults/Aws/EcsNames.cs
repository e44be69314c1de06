namespace Platform.ServiceDefaults.Aws;

/// <summary>ECS accepts a cluster and a task definition by name or by ARN: these give the names to compare.</summary>
public static class EcsNames
{
    /// <summary><c>batch</c> from <c>batch</c> or <c>arn:aws:ecs:eu-west-1:123456789012:cluster/batch</c>.</summary>
    public static string Cluster(string cluster) => cluster[(cluster.LastIndexOf('/') + 1)..];

    /// <summary>The family from <c>family</c>, <c>family:revision</c> or a task definition ARN.</summary>
    public static string Family(string taskDefinition)
    {
        var name = taskDefinition[(taskDefinition.LastIndexOf('/') + 1)..];
        var colon = name.LastIndexOf(':');
        return colon < 0 ? name : name[..colon];
    }
}
