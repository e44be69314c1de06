using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.History.Features.TrackRuns;
using Platform.ServiceDefaults.Configuration;

namespace Platform.History.Features.SummarizeJobs;

public static class JobEndpoints
{
    public static async Task<Ok<IReadOnlyList<JobSummary>>> ListAsync(IQuerySession session, PlatformConfigSource config, TimeProvider clock, CancellationToken ct)
    {
        var summaries = await session.Query<JobSummary>().OrderBy(j => j.Id).ToListAsync(ct);
        // A scheduled job that has never run (only missed) still has a summary; one never seen at all is listed too.
        var unseen = config.Current.Monitors.Where(m => m.Schedule is not null && summaries.All(s => s.Id != m.Job)).Select(m => JobSummary.Create(m.Job));
        return TypedResults.Ok(await JobStatus.ApplyAsync(session, [.. summaries, .. unseen], config.Current, clock.GetUtcNow(), ct));
    }

    public static async Task<Results<Ok<JobSummary>, ProblemHttpResult>> GetAsync(string name, IQuerySession session, PlatformConfigSource config,
        TimeProvider clock, CancellationToken ct)
    {
        var summary = await session.LoadAsync<JobSummary>(name, ct);
        // A job whose first run has not finished yet has runs but no summary; a monitored job may have neither yet.
        if (summary is null && (config.Current.MonitorFor(name) is not null || await session.Query<Run>().AnyAsync(r => r.Job == name, ct)))
            summary = JobSummary.Create(name);
        if (summary is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown job", detail: $"No job named '{name}' has been seen.");
        return TypedResults.Ok((await JobStatus.ApplyAsync(session, [summary], config.Current, clock.GetUtcNow(), ct))[0]);
    }
}
