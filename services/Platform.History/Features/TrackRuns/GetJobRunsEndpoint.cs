using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.History.Features.SummarizeJobs;

namespace Platform.History.Features.TrackRuns;

public static class GetJobRunsEndpoint
{
    public const int MaxLimit = 1_000;

    /// <summary>Runs of one job created in [from, to), newest first.</summary>
    public static async Task<Results<Ok<IReadOnlyList<Run>>, ProblemHttpResult>> HandleAsync(
        string name, DateTimeOffset? from, DateTimeOffset? to, int? limit, IQuerySession session, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid limit",
                detail: $"limit must be between 1 and {MaxLimit}.");
        // PostgreSQL's timestamptz takes UTC values only; a query may give any offset.
        (from, to) = (from?.ToUniversalTime(), to?.ToUniversalTime());
        if (from > to)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid range", detail: "from must not be after to.");

        var query = session.Query<Run>().Where(r => r.Job == name);
        if (from is { } f)
            query = query.Where(r => r.CreatedAt >= f);
        if (to is { } t)
            query = query.Where(r => r.CreatedAt < t);
        var runs = await query.OrderByDescending(r => r.CreatedAt).Take(limit ?? 100).ToListAsync(ct);

        if (runs.Count == 0 && await session.LoadAsync<JobSummary>(name, ct) is null && !await session.Query<Run>().AnyAsync(r => r.Job == name, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown job", detail: $"No job named '{name}' has been seen.");
        return TypedResults.Ok(runs);
    }
}
