namespace Platform.Contracts.Retry;

/// <summary>A run was still running after its job's timeout and was stopped with StopTask.</summary>
public record RunTimedOut(string RunId, string Job, string Cluster, string TaskArn, TimeSpan Timeout, DateTimeOffset StoppedAt, string Reason)
{
    /// <summary>
    /// How the StopTask reason of a timeout begins (<c>Stopped by Platform: exceeded timeout of 30m</c>): retry writes it,
    /// history recognises the run as timed out by it.
    /// </summary>
    public const string StopReasonPrefix = "Stopped by Platform: exceeded timeout";
}
