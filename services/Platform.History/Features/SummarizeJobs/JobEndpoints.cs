using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.History.Features.TrackRuns;
using Platform.ServiceDefaults.Configuration;

namespace Platform.History.Features.SummarizeJobs;

public static class JobEndpoints
{
    public static async Task<Ok<IReadOnlyList<JobSummary>>> ListAsync(IQuerySession session, PlatformConfigSource config, TimeProvider clock, CancellationToken ct) =>
        TypedResults.Ok(await AllAsync(session, config.Current, clock.GetUtcNow(), ct));

    public static async Task<Results<Ok<JobSummary>, ProblemHttpResult>> GetAsync(string name, IQuerySession session, PlatformConfigSource config,
        TimeProvider clock, CancellationToken ct) =>
        await FindAsync(session, name, config.Current, clock.GetUtcNow(), ct) is { } summary
            ? TypedResults.Ok(summary)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown job", detail: $"No job named '{name}' has been seen.");

    /// <summary>Every job with its status, by name: those with a summary, and scheduled ones never seen at all.</summary>
    public static async Task<IReadOnlyList<JobSummary>> AllAsync(IQuerySession session, PlatformConfig config, DateTimeOffset now, CancellationToken ct)
    {
        var summaries = await session.Query<JobSummary>().OrderBy(j => j.Id).ToListAsync(ct);
        var seen = summaries.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        // A scheduled job that has never run (only missed) still has a summary; one never seen at all is listed too.
        var unseen = config.Monitors.Where(m => m.Schedule is not null && !seen.Contains(m.Job)).Select(m => JobSummary.Create(m.Job));
        return await JobStatus.ApplyAsync(session, [.. summaries, .. unseen], config, now, ct);
    }

    /// <summary>One job with its status, or null when it has never been seen and has no monitor.</summary>
    public static async Task<JobSummary?> FindAsync(IQuerySession session, string name, PlatformConfig config, DateTimeOffset now, CancellationToken ct)
    {
        var summary = await session.LoadAsync<JobSummary>(name, ct);
        // A job whose first run has not finished yet has runs but no summary; a monitored job may have neither yet.
        if (summary is null && (config.MonitorFor(name) is not null || await session.Query<Run>().AnyAsync(r => r.Job == name, ct)))
            summary = JobSummary.Create(name);
        return summary is null ? null : (await JobStatus.ApplyAsync(session, [summary], config, now, ct))[0];
    }
}
