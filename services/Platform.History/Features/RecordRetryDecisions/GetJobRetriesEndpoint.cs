using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.History.Features.RecordRetryDecisions;

public static class GetJobRetriesEndpoint
{
    /// <summary>The retry decisions for one job (relaunches, refusals, chains given up, timeouts), oldest first.</summary>
    public static async Task<Ok<IReadOnlyList<RetryDecisionRecorded>>> HandleAsync(string name, IQuerySession session, CancellationToken ct)
    {
        var decisions = await session.Query<RetryDecision>().Where(d => d.Job == name).OrderBy(d => d.At).Take(1_000).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<RetryDecisionRecorded>>([.. decisions.Select(d => d.Recorded)]);
    }
}
