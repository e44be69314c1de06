namespace Platform.Contracts.Retry;

/// <summary>A launch that failed will be tried again: attempt <paramref name="Attempt"/> of the chain, at <paramref name="DueAt"/>.</summary>
public record RelaunchScheduled(string Chain, string Job, string Cluster, int Attempt, int MaxAttempts, DateTimeOffset DueAt, string Reason);
