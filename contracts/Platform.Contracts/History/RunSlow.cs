namespace Platform.Contracts.History;

/// <summary>
/// A run took longer than <see cref="Threshold"/>: its job's baseline (median of recent successful runs) × the
/// monitor's slowFactor, or the monitor's maxDuration. Published once per run. <see cref="TooShort"/>: the opposite, a
/// successful run shorter than the monitor's minDuration (<see cref="Threshold"/>), suspicious in the same way.
/// </summary>
public record RunSlow(string Job, string RunId, string Cluster, TimeSpan Duration, TimeSpan? Baseline, TimeSpan Threshold, bool TooShort = false);
