using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.History.Features.DetectMissedRuns;

public static class GetJobGapsEndpoint
{
    /// <summary>The job's missed slots in [from, to), oldest first.</summary>
    public static async Task<Results<Ok<IReadOnlyList<MissedSlot>>, ProblemHttpResult>> HandleAsync(
        string name, DateTimeOffset? from, DateTimeOffset? to, IQuerySession session, CancellationToken ct)
    {
        // PostgreSQL's timestamptz takes UTC values only; a query may give any offset.
        (from, to) = (from?.ToUniversalTime(), to?.ToUniversalTime());
        if (from > to)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid range", detail: "from must not be after to.");
        var query = session.Query<MissedSlot>().Where(m => m.Job == name);
        if (from is { } f)
            query = query.Where(m => m.Slot >= f);
        if (to is { } t)
            query = query.Where(m => m.Slot < t);
        return TypedResults.Ok(await query.OrderBy(m => m.Slot).Take(1_000).ToListAsync(ct));
    }
}
