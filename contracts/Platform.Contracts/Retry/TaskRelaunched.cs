namespace Platform.Contracts.Retry;

/// <summary>RunTask was called again with the complete original request and started a task.</summary>
public record TaskRelaunched(string Chain, string Job, string Cluster, int Attempt, int MaxAttempts, string TaskArn);
