namespace Platform.Contracts.History;

/// <summary>
/// A run took longer than <see cref="Threshold"/>: its job's baseline (median of recent successful runs) × the
/// monitor's slowFactor, or the monitor's maxDuration. Published once per run.
/// </summary>
public record RunSlow(string Job, string RunId, string Cluster, TimeSpan Duration, TimeSpan? Baseline, TimeSpan Threshold);
