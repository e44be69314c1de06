namespace Platform.Contracts.Retry;

/// <summary>The last allowed attempt failed too: nothing more will be tried for this chain.</summary>
public record RetriesExhausted(string Chain, string Job, string Cluster, int Attempts, string LastReason);
