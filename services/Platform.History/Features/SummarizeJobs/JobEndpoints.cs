using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.History.Features.TrackRuns;

namespace Platform.History.Features.SummarizeJobs;

public static class JobEndpoints
{
    public static async Task<Ok<IReadOnlyList<JobSummary>>> ListAsync(IQuerySession session, CancellationToken ct)
    {
        var summaries = await session.Query<JobSummary>().OrderBy(j => j.Id).ToListAsync(ct);
        return TypedResults.Ok(summaries);
    }

    public static async Task<Results<Ok<JobSummary>, ProblemHttpResult>> GetAsync(string name, IQuerySession session, CancellationToken ct)
    {
        if (await session.LoadAsync<JobSummary>(name, ct) is { } summary)
            return TypedResults.Ok(summary);
        // A job whose first run has not finished yet has runs but no summary.
        if (await session.Query<Run>().AnyAsync(r => r.Job == name, ct))
            return TypedResults.Ok(JobSummary.Create(name));
        return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown job", detail: $"No job named '{name}' has been seen.");
    }
}
