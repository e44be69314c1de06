using System.Buffers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Ingest.Features.NormalizeEcsEvents;

namespace Platform.Ingest.Features.ReceiveEvents;

public sealed record EventsAccepted(int Accepted, int Ignored);

public static class ReceiveEventsEndpoint
{
    public const int MaxBodyBytes = 10 * 1024 * 1024;

    public static async Task<Results<Accepted<EventsAccepted>, ProblemHttpResult>> HandleAsync(
        HttpRequest request, EcsEventParser parser, EcsEventsSender sender, IOptions<IngestOptions> options, ILogger<EcsEventParser> logger,
        CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
            return TooLarge($"The body is larger than {MaxBodyBytes / 1024 / 1024} MB.");

        var body = new ArrayBufferWriter<byte>((int)Math.Clamp(request.ContentLength ?? 64 * 1024, 1, MaxBodyBytes));
        if (!await TryReadBodyAsync(request, body, ct))
            return TooLarge($"The body is larger than {MaxBodyBytes / 1024 / 1024} MB.");

        var batch = parser.Parse(body.WrittenMemory);
        if (!batch.IsValid)
        {
            var errors = batch.Errors.Select(e => e.Message).ToArray();
            logger.LogInformation("Rejected {Count} event(s): {Errors}", batch.Errors.Count, errors);
            return batch.Errors.Any(e => e.TooLarge)
                ? TooLarge(string.Join(" ", errors.Where((_, i) => batch.Errors[i].TooLarge)))
                : TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid event",
                    detail: string.Join(" ", errors), extensions: new Dictionary<string, object?> { ["errors"] = errors });
        }

        switch (await sender.TrySendAsync(batch, options.Value.BacklogWait, ct))
        {
            case SendOutcome.NoRoom:
                logger.LogWarning("Refused {Count} event(s) with 503: history's in-memory queue stayed full for {Wait}", batch.Accepted, options.Value.BacklogWait);
                request.HttpContext.Response.Headers.RetryAfter = "1";
                return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "History is behind",
                    detail: "History has not yet stored what was sent before; nothing of this request was accepted. Retry it.");
            case SendOutcome.NotStoredYet:
                // Accepted means stored: without the commit, the sender must keep the events (EventBridge retries a 503).
                logger.LogWarning("Answered {Count} event(s) with 503: history had not stored them within {Wait}", batch.Accepted, options.Value.BacklogWait);
                request.HttpContext.Response.Headers.RetryAfter = "1";
                return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "History is behind",
                    detail: "History has not stored these events yet. Retry the request; events stored meanwhile are not stored twice.");
            case SendOutcome.NotStored:
                return TypedResults.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Not stored",
                    detail: "History could not store some of these events; they wait in its error queue, and the platform's default route was told.");
        }
        return TypedResults.Accepted((string?)null, new EventsAccepted(batch.Accepted, batch.Ignored));
    }

    private static ProblemHttpResult TooLarge(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large", detail: detail);

    private static async Task<bool> TryReadBodyAsync(HttpRequest request, ArrayBufferWriter<byte> body, CancellationToken ct)
    {
        while (true)
        {
            var read = await request.Body.ReadAsync(body.GetMemory(64 * 1024), ct);
            if (read == 0)
                return true;
            body.Advance(read);
            if (body.WrittenCount > MaxBodyBytes)
                return false;
        }
    }
}
