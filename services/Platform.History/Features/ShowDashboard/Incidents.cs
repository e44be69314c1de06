using Microsoft.Extensions.Options;
using Platform.Contracts.Notifier;
using Platform.ServiceDefaults.Configuration;
using Refit;

namespace Platform.History.Features.ShowDashboard;

public sealed record IncidentsModel(
    IReadOnlyList<IncidentReport> Incidents, IReadOnlyList<SilenceReport> Silences, IReadOnlyList<string> Routes, DateTimeOffset Now, string? Problem = null);

/// <summary>The incidents page reads the notifier's API; silences are created and removed there, with the admin key the user typed.</summary>
public static class Incidents
{
    public const string AdminKeyHeader = "X-Admin-Key";

    public static async Task<IncidentsModel> BuildAsync(IServiceProvider services, PlatformConfig config, DateTimeOffset now, CancellationToken ct)
    {
        var routes = config.Routes.Select(r => r.Name).ToList();
        if (services.GetService<INotifierApi>() is not { } notifier)
            return new IncidentsModel([], [], routes, now, "Set Dashboard__NotifierUrl to the notifier's base URL to see incidents and silences here.");
        try
        {
            var readKey = services.GetRequiredService<IOptions<DashboardOptions>>().Value.NotifierApiKey ?? "";
            var incidents = notifier.GetIncidentsAsync(readKey, 200, ct);
            var silences = notifier.GetSilencesAsync(readKey, ct);
            return new IncidentsModel(await incidents, await silences, routes, now);
        }
        // Refit wraps a failed send in ApiRequestException, an answer with an error status in ApiException.
        catch (Exception e) when (e is ApiException or ApiRequestException or HttpRequestException or Polly.ExecutionRejectedException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new IncidentsModel([], [], routes, now, $"The notifier did not answer ({Describe(e)}).");
        }
    }

    /// <summary>The body is read here, after the access check, so nobody learns anything about it without access.</summary>
    public static async Task<IResult> CreateSilenceAsync(HttpContext http, IServiceProvider services, CancellationToken ct)
    {
        if (services.GetService<INotifierApi>() is not { } notifier)
            return NotConfigured();
        CreateSilence? request;
        try
        {
            request = await http.Request.ReadFromJsonAsync<CreateSilence>(ct);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            request = null;
        }
        if (request is null)
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid silence", detail: "Send a JSON object with job or route, until and reason.");
        return await RelayAsync(await notifier.CreateSilenceAsync(http.Request.Headers[AdminKeyHeader].ToString(), request, ct), ct);
    }

    public static async Task<IResult> DeleteSilenceAsync(HttpContext http, Guid id, IServiceProvider services, CancellationToken ct) =>
        services.GetService<INotifierApi>() is { } notifier
            ? await RelayAsync(await notifier.DeleteSilenceAsync(http.Request.Headers[AdminKeyHeader].ToString(), id, ct), ct)
            : NotConfigured();

    /// <summary>The notifier's answer as it gave it: its status and its problem details, so the page can show why.</summary>
    private static async Task<IResult> RelayAsync(HttpResponseMessage response, CancellationToken ct)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            return Results.Content(body, response.Content.Headers.ContentType?.ToString() ?? "application/json", statusCode: (int)response.StatusCode);
        }
    }

    private static IResult NotConfigured() => Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "No notifier",
        detail: "Set Dashboard__NotifierUrl to the notifier's base URL.");

    private static string Describe(Exception e) => e switch
    {
        ApiException api => $"HTTP {(int)api.StatusCode}",
        ApiRequestException { InnerException: { } inner } => Describe(inner),
        TaskCanceledException or Polly.Timeout.TimeoutRejectedException => "timed out",
        Polly.CircuitBreaker.BrokenCircuitException => "too many failures lately, not asked",
        _ => e.Message,
    };
}
