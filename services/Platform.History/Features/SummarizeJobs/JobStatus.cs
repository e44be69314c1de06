using Marten;
using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.TrackRuns;
using Platform.ServiceDefaults.Configuration;

namespace Platform.History.Features.SummarizeJobs;

/// <summary>
/// A job's status as of now, from its summary and its schedule: <c>failing</c> when its last run failed,
/// <c>missed</c> when a slot was missed after its last run, <c>late</c> when a slot is due and still within its grace
/// with no run yet, <c>ok</c> otherwise; <c>unknown</c> for a job without a schedule (and not failing).
/// </summary>
public static class JobStatus
{
    public static async Task<IReadOnlyList<JobSummary>> ApplyAsync(IQuerySession session, IReadOnlyList<JobSummary> summaries, PlatformConfig config,
        DateTimeOffset now, CancellationToken ct)
    {
        var due = new Dictionary<string, DateTimeOffset>();
        foreach (var summary in summaries)
            if (config.MonitorFor(summary.Id) is { Schedule: { } schedule } monitor
                && schedule.Between(now - monitor.Grace, now, monitor.TimeZone, limit: 100).LastOrDefault() is var slot && slot != default)
                due[summary.Id] = slot - MissedRunDetector.Lead(schedule);
        var started = new HashSet<string>();
        if (due.Count > 0)
        {
            var since = due.Values.Min();
            var jobs = due.Keys.ToList();
            var recent = await session.Query<Run>().Where(r => r.Job.IsOneOf(jobs) && r.CreatedAt >= since)
                .Select(r => new RecentRun(r.Job, r.CreatedAt)).ToListAsync(ct);
            started = recent.Where(r => r.CreatedAt >= due[r.Job]).Select(r => r.Job).ToHashSet();
        }
        return [.. summaries.Select(s => s with
        {
            Status = StatusOf(s, config.MonitorFor(s.Id), due.ContainsKey(s.Id) && !started.Contains(s.Id)),
            NextExpectedAt = config.MonitorFor(s.Id) is { Schedule: { } schedule } m ? schedule.Next(now, m.TimeZone) : null,
        })];
    }

    private static string StatusOf(JobSummary summary, MonitorConfig? monitor, bool late) =>
        summary.ConsecutiveFailures > 0 ? "failing"
        : monitor?.Schedule is null ? "unknown"
        : summary.LastMissedAt is { } missed && (summary.LastRun is null || summary.LastRun.FinishedAt < missed) ? "missed"
        : late ? "late"
        : "ok";

    private sealed record RecentRun(string Job, DateTimeOffset CreatedAt);
}
