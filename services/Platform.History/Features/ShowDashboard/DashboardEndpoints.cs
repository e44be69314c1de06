using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Configuration;
using Refit;
using Marten;

namespace Platform.History.Features.ShowDashboard;

/// <summary>The dashboard: server-rendered pages under <c>/ui</c>, read from history's projections, with a little script.</summary>
public static class DashboardEndpoints
{
    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPlatformOptions<DashboardOptions>()
            // In one process with the notifier (AllInOne), its keys are at hand.
            .Configure<IConfiguration>((o, config) => o.NotifierApiKey ??= config["Notifier:ReadApiKey"] ?? config["Notifier:AdminApiKey"]);
        builder.Services.AddRazorComponents();
        builder.Services.Configure<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>(o => o.AddPolicy(DashboardAccess.SignInPolicy, DashboardAccess.SignInLimit));
        if (builder.Configuration.GetValue<Uri?>("Dashboard:NotifierUrl") is not null)
            builder.Services.AddRefitGeneratedClient<INotifierApi>()
                .ConfigureHttpClient((sp, client) => client.BaseAddress = sp.GetRequiredService<IOptions<DashboardOptions>>().Value.NotifierUrl)
                // A page waits for it: one quick retry, then say the notifier did not answer.
                .AddStandardResilienceHandler(o =>
                {
                    o.Retry.MaxRetryAttempts = 1;
                    o.Retry.Delay = TimeSpan.FromMilliseconds(200);
                    o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(2);
                    o.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(5);
                });
        return builder;
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        var dashboard = app.MapGroup("/ui").AddEndpointFilter(async (context, next) =>
        {
            AddSecurityHeaders(context.HttpContext.Response);
            return await next(context);
        });
        dashboard.MapGet("/sign-in", (bool? failed, string? returnUrl) =>
            new RazorComponentResult<SignInPage>(new { Failed = failed == true, ReturnUrl = DashboardAccess.SafeReturnUrl(returnUrl) }));
        dashboard.MapPost("/sign-in", DashboardAccess.SignInAsync).DisableAntiforgery().RequireRateLimiting(DashboardAccess.SignInPolicy);
        dashboard.MapGet("/assets/{file}", Asset);

        var ui = dashboard.MapGroup("").RequireDashboardAccess();
        // The page, and the section of it that an open page fetches to refresh itself.
        ui.MapGet("/", async ([AsParameters] OverviewQuery query, CancellationToken ct) => new RazorComponentResult<OverviewPage>(new { Model = await query.BuildAsync(ct) }));
        ui.MapGet("/overview", async ([AsParameters] OverviewQuery query, CancellationToken ct) => new RazorComponentResult<OverviewSection>(new { Model = await query.BuildAsync(ct) }));
        ui.MapGet("/jobs/{name}", async Task<IResult> (string name, IQuerySession session, PlatformConfigSource config, TimeProvider clock, CancellationToken ct) =>
            await JobPage.BuildAsync(session, name, config.Current, clock.GetUtcNow(), ct) is { } model
                ? new RazorComponentResult<JobPageView>(new { Model = model })
                : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown job", detail: $"No job named '{name}' has been seen."));
        ui.MapGet("/incidents", async (IServiceProvider services, PlatformConfigSource config, TimeProvider clock, CancellationToken ct) =>
            new RazorComponentResult<IncidentsPage>(new { Model = await Incidents.BuildAsync(services, config.Current, clock.GetUtcNow(), ct) }));
        ui.MapPost("/silences", Incidents.CreateSilenceAsync);
        ui.MapDelete("/silences/{id:guid}", Incidents.DeleteSilenceAsync);
        return app;
    }

    /// <summary>
    /// The pages load only their own script and styles, and no site may frame them (clickjacking). Inline style
    /// attributes stay allowed: the timeline places its labels with them, and a style attribute cannot run script.
    /// </summary>
    private static void AddSecurityHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
            + "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }

    /// <summary>What both overview endpoints take: the filter from the query string and what builds the model.</summary>
    private sealed record OverviewQuery(string? Status, string? Cluster, string? Route, string? Sort,
        IQuerySession Session, PlatformConfigSource Config, TimeProvider Clock, IOptions<DashboardOptions> Options)
    {
        public Task<OverviewModel> BuildAsync(CancellationToken ct) =>
            Overview.BuildAsync(Session, Config.Current, new OverviewFilter(Status, Cluster, Route, Sort), Clock.GetUtcNow(), Options.Value.RefreshInterval, ct);
    }

    private static IResult Asset(string file, HttpContext http)
    {
        var contentType = Path.GetExtension(file) switch { ".css" => "text/css", ".js" => "text/javascript", _ => null };
        var stream = contentType is null ? null : Assembly.GetExecutingAssembly().GetManifestResourceStream("Platform.History.Dashboard." + file);
        if (stream is null)
            return Results.NotFound();
        http.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Stream(stream, contentType + "; charset=utf-8");
    }
}
