using System.Diagnostics;
using Marten;
using Platform.History.Features.SummarizeJobs;
using Platform.History.Features.TrackRuns;

namespace Platform.History.Features.ReplayHistory;

/// <summary>Rebuilds every projection from the stored events; the result equals what live processing built.</summary>
public sealed class ProjectionRebuilder(IDocumentStore store)
{
    public static readonly Type[] Projections = [typeof(RunProjection), typeof(JobSummaryProjection)];

    public async Task<RebuildReport> RebuildAllAsync(Action<string>? progress, CancellationToken ct)
    {
        var stats = await store.Advanced.FetchEventStoreStatistics(token: ct);
        var watch = Stopwatch.StartNew();
        using var daemon = await store.BuildProjectionDaemonAsync();
        foreach (var projection in Projections)
        {
            progress?.Invoke($"Rebuilding {projection.Name} over {stats.EventCount:N0} events");
            await daemon.RebuildProjectionAsync(projection, TimeSpan.FromMinutes(30), ct);
        }
        return new RebuildReport(stats.EventCount, watch.Elapsed);
    }
}

public sealed record RebuildReport(long Events, TimeSpan Elapsed)
{
    public double EventsPerSecond => Elapsed.TotalSeconds > 0 ? Events * ProjectionRebuilder.Projections.Length / Elapsed.TotalSeconds : 0;
}
