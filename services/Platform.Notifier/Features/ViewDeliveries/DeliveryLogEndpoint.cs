using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Notifier.Features.DeliverToSlack;

namespace Platform.Notifier.Features.ViewDeliveries;

/// <summary>What was sent, when, to which route, and what failed and why. Never a webhook URL or token.</summary>
public sealed record DeliveryView(
    Guid Id, string Route, string Job, DeliveryKind Kind, DeliveryStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? SentAt,
    int Attempts, string? LastError, string Text, Guid? GroupedInto, Guid? SourceMessageId);

public static class DeliveryLogEndpoint
{
    public static async Task<Results<Ok<IReadOnlyList<DeliveryView>>, ProblemHttpResult>> HandleAsync(
        string? job, string? status, string? route, int? limit, INotifierStore store, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        if (limit is < 1 or > 1_000)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid limit", detail: "limit must be between 1 and 1000.");
        var query = session.Query<Delivery>().AsQueryable();
        if (job is not null)
            query = query.Where(d => d.Job == job);
        if (status is not null)
        {
            if (!TryParseStatus(status, out var s))
                return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid status",
                    detail: "status must be one of pending, sent, grouped, silenced, failed.");
            query = query.Where(d => d.Status == s);
        }
        if (route is not null)
            query = query.Where(d => d.Route == route);
        var deliveries = await query.OrderByDescending(d => d.Sequence).Take(limit ?? 100).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<DeliveryView>>(deliveries.Select(d => new DeliveryView(d.Id, d.Route, d.Job, d.Kind, d.Status,
            d.CreatedAt, d.SentAt, d.Attempts, d.LastError, d.Text, d.GroupedInto, d.SourceMessageId)).ToList());
    }

    private static bool TryParseStatus(string text, out DeliveryStatus status)
    {
        try
        {
            status = System.Text.Json.JsonSerializer.Deserialize<DeliveryStatus>($"\"{text}\"");
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            status = default;
            return false;
        }
    }
}
