using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Contracts.Notifier;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Notifier.Features.SilenceAlerts;

public static class SilenceEndpoints
{
    public static async Task<Results<Created<Silence>, ProblemHttpResult>> CreateAsync(
        CreateSilence request, INotifierStore store, PlatformConfigSource config, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        string? problem = (request.Job, request.Route, request.Until) switch
        {
            (null, null, _) => "Set job or route.",
            (_, _, null) => "Set until (ISO 8601).",
            (_, _, { } until) when until <= now => "until must be in the future.",
            (_, { } route, _) when config.Current.Routes.All(r => r.Name != route) => $"No route is named '{route}'.",
            _ => null,
        };
        if (problem is not null)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid silence", detail: problem);

        var silence = new Silence(Guid.CreateVersion7(now), request.Job, request.Route, request.Until!.Value, request.Reason, now);
        await using var session = store.LightweightSession();
        session.Store(silence);
        await session.SaveChangesAsync(ct);
        return TypedResults.Created($"/silences/{silence.Id}", silence);
    }

    public static async Task<Ok<IReadOnlyList<SilenceReport>>> ListAsync(INotifierStore store, ActiveSilences silences, TimeProvider clock, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var active = await silences.ListAsync(session, clock.GetUtcNow(), ct);
        return TypedResults.Ok<IReadOnlyList<SilenceReport>>([.. active.Select(s => new SilenceReport(s.Id, s.Job, s.Route, s.Until, s.Reason, s.CreatedAt))]);
    }

    public static async Task<Results<NoContent, NotFound>> DeleteAsync(Guid id, INotifierStore store, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        if (await session.LoadAsync<Silence>(id, ct) is null)
            return TypedResults.NotFound();
        session.Delete<Silence>(id);
        await session.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
