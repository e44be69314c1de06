using Marten;
using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.RecordRetryDecisions;
using Platform.History.Features.SummarizeJobs;
using Platform.History.Features.TrackRuns;
using Platform.ServiceDefaults.Configuration;

namespace Platform.History.Features.ShowDashboard;

public sealed record JobPageModel(
    JobSummary Job, MonitorConfig? Monitor, IReadOnlyList<RouteConfig> Routes, IReadOnlyList<Run> Runs, IReadOnlyList<MissedSlot> Gaps,
    IReadOnlyList<RetryDecisionRecorded> Decisions, DateTimeOffset From, DateTimeOffset Now)
{
    /// <summary>Where this run's logs are: the first route's log location, the first container that failed.</summary>
    public string? LogsLink(Run run) => AwsConsoleLinks.Logs(run.Region, run.TaskDefinition, run.TaskArn!,
        run.Containers.FirstOrDefault(c => c.ExitCode is not (null or 0))?.Name ?? run.Containers.FirstOrDefault()?.Name, Routes.FirstOrDefault()?.Logs);
}

public static class JobPage
{
    public const int RunsShown = 100;

    /// <summary>The newest runs, and the missed slots and retry decisions since the oldest of them.</summary>
    public static async Task<JobPageModel?> BuildAsync(IQuerySession session, string name, PlatformConfig config, DateTimeOffset now, CancellationToken ct)
    {
        if (await JobEndpoints.FindAsync(session, name, config, now, ct) is not { } job)
            return null;
        var runs = await session.Query<Run>().Where(r => r.Job == name).OrderByDescending(r => r.CreatedAt).Take(RunsShown).ToListAsync(ct);
        // The shown runs bound the timeline (a job that never ran shows its last day), with a margin before the first.
        var oldest = runs.Count > 0 ? runs[^1].CreatedAt : now.AddDays(-1);
        var from = oldest - (now - oldest) / 20;
        var gaps = await session.Query<MissedSlot>().Where(m => m.Job == name && m.Slot >= from).OrderBy(m => m.Slot).Take(1_000).ToListAsync(ct);
        var decisions = await session.Query<RetryDecision>().Where(d => d.Job == name && d.At >= from).OrderBy(d => d.At).Take(1_000).ToListAsync(ct);
        return new JobPageModel(job, config.MonitorFor(name), config.RoutesFor(name, job.Cluster ?? runs.FirstOrDefault()?.Cluster ?? ""),
            runs, gaps, [.. decisions.Select(d => d.Recorded)], from, now);
    }
}
