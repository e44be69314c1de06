using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Contracts.Notifier;
using Platform.Notifier.Features.DeliverToSlack;
using Platform.Notifier.Features.SilenceAlerts;

namespace Platform.Notifier.Features.TrackIncidents;

public static class IncidentEndpoints
{
    public const int MaxLimit = 1_000;

    /// <summary>Incidents, open ones first, then the most recently opened; <paramref name="job"/> narrows to one job.</summary>
    public static async Task<Results<Ok<IReadOnlyList<IncidentReport>>, ProblemHttpResult>> ListAsync(
        string? job, int? limit, INotifierStore store, ActiveSilences silences, TimeProvider clock, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid limit", detail: $"limit must be between 1 and {MaxLimit}.");
        await using var session = store.QuerySession();
        var query = session.Query<Incident>().AsQueryable();
        if (job is not null)
            query = query.Where(i => i.Job == job);
        var incidents = await query.OrderByDescending(i => i.Open).ThenByDescending(i => i.OpenedAt).Take(limit ?? 200).ToListAsync(ct);
        var roots = (await session.LoadManyAsync<Delivery>(ct, incidents.Select(i => i.RootDeliveryId).Distinct())).ToDictionary(d => d.Id);
        var now = clock.GetUtcNow();
        var active = await silences.ListAsync(session, now, ct);
        return TypedResults.Ok<IReadOnlyList<IncidentReport>>([.. incidents.Select(i =>
        {
            var alert = roots.GetValueOrDefault(i.RootDeliveryId)?.Status;
            var state = !i.Open ? "recovered"
                : alert == DeliveryStatus.Silenced || active.Any(s => s.Covers(i.Job, i.Route, now)) ? "silenced"
                : "failing";
            return new IncidentReport(i.Route, i.Job, state, i.OpenedAt, i.ClosedAt, i.Failures, i.LastSummary, i.LastFailureAt, i.LastNotifiedAt,
                alert?.ToString().ToLowerInvariant() ?? "unknown");
        })]);
    }
}
