namespace Platform.Contracts.Retry;

/// <summary>A run was still running after its job's timeout and was stopped with StopTask.</summary>
public record RunTimedOut(string RunId, string Job, string Cluster, string TaskArn, TimeSpan Timeout, DateTimeOffset StoppedAt, string Reason);
