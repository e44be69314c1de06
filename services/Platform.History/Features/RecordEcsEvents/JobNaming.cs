using Platform.Contracts.Ingest;
using Platform.ServiceDefaults.Configuration;

namespace Platform.History.Features.RecordEcsEvents;

/// <summary>
/// Names the job a run belongs to: a monitor's <c>job</c> when its <c>match</c> (family, cluster) fits the task,
/// else the task definition family (<c>…:task-definition/nightly-report:7</c> is <c>nightly-report</c>). A run keeps
/// the name it got when it was first recorded.
/// </summary>
public sealed class JobNaming(PlatformConfigSource config)
{
    public string For(TaskStateChanged change) => config.Current.JobFor(change.Family, change.ClusterName);

    public string For(TaskLaunchFailed failure) => config.Current.JobFor(failure.Family, failure.ClusterName);

    public string For(TaskLaunchRequested request) => config.Current.JobFor(request.Family, ClusterName(request.Cluster));

    public string For(ExecutionStatusChanged execution) => config.Current.JobForStateMachine(execution.StateMachineName);

    private static string ClusterName(string cluster) => cluster[(cluster.LastIndexOf('/') + 1)..];

    /// <summary>How long a run of the job may take before it is slow: its monitor's maxDuration, or baseline × slowFactor.</summary>
    public TimeSpan? SlowThreshold(string job, TimeSpan? baseline)
    {
        var monitor = config.Current.MonitorFor(job);
        TimeSpan? relative = baseline is { } b ? b * (monitor?.SlowFactor ?? MonitorConfig.DefaultSlowFactor) : null;
        return (monitor?.MaxDuration, relative) switch
        {
            ({ } max, { } rel) => max < rel ? max : rel,
            ({ } max, null) => max,
            (null, var rel) => rel,
        };
    }

    /// <summary>A successful run shorter than this is suspicious (its monitor's minDuration).</summary>
    public TimeSpan? MinDuration(string job) => config.Current.MonitorFor(job)?.MinDuration;

    /// <summary>The containers whose exit decides the job's runs (empty: all).</summary>
    public IReadOnlyList<string> DecidingContainers(string job) => config.Current.MonitorFor(job)?.Containers ?? [];
}
