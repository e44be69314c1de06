using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Contracts.Digest;
using Platform.Contracts.History;
using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.SummarizeJobs;
using Platform.History.Features.TrackRuns;
using Platform.ServiceDefaults.Configuration;

namespace Platform.History.Features.ReportPeriods;

public static class GetReportsEndpoint
{
    public const int MaxRuns = 200_000;

    /// <summary>A digest's period is at most a month; a longer one would load a year of runs in one call.</summary>
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(31);

    /// <summary>
    /// Every job (seen, or scheduled) with its runs created in [from, to): counts, earliest and latest success,
    /// failures by kind, relaunches, missed slots and durations: three queries, whatever the number of jobs.
    /// History is never purged for this; the period is only a window.
    /// </summary>
    public static async Task<Results<Ok<IReadOnlyList<JobDigest>>, ProblemHttpResult>> HandleAsync(
        DateTimeOffset from, DateTimeOffset to, IQuerySession session, PlatformConfigSource config, TimeProvider clock, CancellationToken ct)
    {
        (from, to) = (from.ToUniversalTime(), to.ToUniversalTime());
        if (from >= to)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid range", detail: "from must be before to.");
        if (to - from > MaxPeriod)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid range",
                detail: $"The period may be at most {MaxPeriod.TotalDays:0} days; ask for it month by month.");
        var runs = await session.Query<Run>().Where(r => r.CreatedAt >= from && r.CreatedAt < to).Take(MaxRuns).ToListAsync(ct);
        var missed = await session.Query<MissedSlot>().Where(m => m.Slot >= from && m.Slot < to).ToListAsync(ct);
        // Every job ever seen is reported, quiet ones with zeros: a digest lists a route's jobs whatever happened.
        var summaries = (await session.Query<JobSummary>().ToListAsync(ct)).ToDictionary(s => s.Id);
        var jobs = runs.Select(r => r.Job).Concat(missed.Select(m => m.Job)).Concat(summaries.Keys)
            .Concat(config.Current.Monitors.Where(m => m.Schedule is not null).Select(m => m.Job)).Distinct().Order(StringComparer.Ordinal).ToList();
        var statuses = (await JobStatus.ApplyAsync(session, [.. jobs.Select(j => summaries.GetValueOrDefault(j) ?? JobSummary.Create(j))], config.Current,
            clock.GetUtcNow(), ct)).ToDictionary(s => s.Id, s => s.Status ?? "unknown");

        var byJob = runs.ToLookup(r => r.Job);
        var missedByJob = missed.ToLookup(m => m.Job);
        return TypedResults.Ok<IReadOnlyList<JobDigest>>([.. jobs.Select(job => Report(job, [.. byJob[job]], missedByJob[job].Count(), statuses[job]))]);
    }

    private static JobDigest Report(string job, List<Run> runs, int missed, string status)
    {
        var successes = runs.Where(r => r.Status == RunStatus.Succeeded).ToList();
        var failed = runs.Where(r => r.Status == RunStatus.Failed).ToList();
        var durations = successes.Select(r => r.Duration).OfType<TimeSpan>().Order().ToList();
        return new JobDigest(
            job,
            successes.Count,
            successes.Count == 0 ? null : successes.Min(r => r.StoppedAt ?? r.CreatedAt),
            successes.Count == 0 ? null : successes.Max(r => r.StoppedAt ?? r.CreatedAt),
            failed.Count,
            failed.GroupBy(r => r.FailureKind?.Name() ?? "unknown").ToDictionary(g => g.Key, g => g.Count()),
            runs.Count(r => r.Status == RunStatus.LaunchFailed),
            runs.Count(r => r.Attempt > 1),
            missed,
            Median(durations),
            durations.Count == 0 ? null : durations[^1],
            status);
    }

    private static TimeSpan? Median(List<TimeSpan> sorted) => sorted.Count switch
    {
        0 => null,
        var n when n % 2 == 1 => sorted[n / 2],
        var n => (sorted[(n / 2) - 1] + sorted[n / 2]) / 2,
    };

}
