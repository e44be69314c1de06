namespace Platform.Contracts.History;

/// <summary>A run that reached STOPPED and succeeded. Published once per run; dedupe on <see cref="RunId"/>.</summary>
public record RunSucceeded(
    string RunId,
    string Job,
    string Cluster,
    string TaskArn,
    string TaskDefinitionArn,
    string Region,
    string Account,
    string? StartedBy,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? StoppedAt,
    TimeSpan? Duration);
