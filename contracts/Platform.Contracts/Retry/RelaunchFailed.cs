namespace Platform.Contracts.Retry;

/// <summary>The relaunch call itself failed (ECS refused the request); the chain ends here.</summary>
public record RelaunchFailed(string Chain, string Job, string Cluster, int Attempt, string Error);
