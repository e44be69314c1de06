namespace Platform.LoadTest;

public static class Percentile
{
    /// <summary>The nearest-rank percentile <paramref name="p"/> (0–1) of sorted values; NaN when there are none.</summary>
    public static double Of(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
