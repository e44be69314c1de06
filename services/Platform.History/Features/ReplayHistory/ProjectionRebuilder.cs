using System.Diagnostics;
using Marten;
using Weasel.Core;
using Platform.History.Features.RecordEcsEvents;
using Platform.History.Features.RecordRetryDecisions;
using Platform.History.Features.SummarizeJobs;
using Platform.History.Features.TrackRuns;

namespace Platform.History.Features.ReplayHistory;

/// <summary>Rebuilds every projection from the stored events; the result equals what live processing built.</summary>
public sealed class ProjectionRebuilder(IDocumentStore store)
{
    private const int PageSize = 10_000;

    public async Task<RebuildReport> RebuildAllAsync(Action<string>? progress, CancellationToken ct)
    {
        var stats = await store.Advanced.FetchEventStoreStatistics(token: ct);
        var watch = Stopwatch.StartNew();
        await ReplayAsync(progress, stats.EventCount, ct);
        return new RebuildReport(stats.EventCount, watch.Elapsed);
    }

    /// <summary>
    /// Replays every event in store order (the order live recording committed them) through the same folds the
    /// recorder applies, then bulk-writes the documents.
    /// </summary>
    private async Task ReplayAsync(Action<string>? progress, long total, CancellationToken ct)
    {
        var runs = new Dictionary<string, Run>();
        var summaries = new Dictionary<string, JobSummary>();
        var decisions = new List<RetryDecision>();
        await using var query = store.QuerySession();
        long read = 0;
        await foreach (var page in StoredEvents.ReadAllAsync(query, PageSize, ct))
        {
            foreach (var e in page)
            {
                runs.TryGetValue(e.StreamKey!, out var run);
                if (RunProjection.Next(run, e.Data) is { } next)
                    runs[e.StreamKey!] = next;
                if (JobSummaryProjection.JobOf(e.Data) is { } job)
                    summaries[job] = JobSummaryProjection.Next(summaries.GetValueOrDefault(job), job, e.Data);
                if (e.Data is RetryDecisionRecorded decision)
                    decisions.Add(new RetryDecision(e.Id, decision.Job, decision.At, decision));
            }
            read += page.Count;
            progress?.Invoke($"Replayed {read:N0} of {total:N0} events");
        }

        progress?.Invoke($"Writing {runs.Count:N0} runs, {summaries.Count:N0} job summaries and {decisions.Count:N0} retry decisions");
        await using (var session = store.LightweightSession())
        {
            session.DeleteWhere<Run>(_ => true);
            session.DeleteWhere<JobSummary>(_ => true);
            session.DeleteWhere<RetryDecision>(_ => true);
            await session.SaveChangesAsync(ct);
        }
        foreach (var chunk in runs.Values.Chunk(5_000))
            await store.BulkInsertDocumentsAsync(chunk, BulkInsertMode.OverwriteExisting, cancellation: ct);
        await store.BulkInsertDocumentsAsync(summaries.Values, BulkInsertMode.OverwriteExisting, cancellation: ct);
        if (decisions.Count > 0)
            await store.BulkInsertDocumentsAsync(decisions, BulkInsertMode.OverwriteExisting, cancellation: ct);
    }
}

public sealed record RebuildReport(long Events, TimeSpan Elapsed)
{
    public double EventsPerSecond => Elapsed.TotalSeconds > 0 ? Events / Elapsed.TotalSeconds : 0;
}
