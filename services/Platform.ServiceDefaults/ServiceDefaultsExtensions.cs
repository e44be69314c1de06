using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Platform.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    public const string LiveTag = "live";

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresPassword();
        builder.AddPlatformLogging();
        builder.AddPlatformTelemetry();
        // Bad query strings and bodies become 400 problem details that say which parameter was wrong, in every environment.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            if (context.Exception is BadHttpRequestException bad)
                context.ProblemDetails.Detail = bad.Message;
        });
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddSingleton(TimeProvider.System);
        // Modules add their policies (the dashboard's sign-in); a refused request is told to come back later.
        builder.Services.AddRateLimiter(o => o.RejectionStatusCode = StatusCodes.Status429TooManyRequests);
        builder.Services.AddPlatformOptions<HttpOptions>();
        builder.Services.AddPlatformOptions<HeartbeatOptions>();
        builder.Services.AddHttpClient(nameof(HeartbeatSender));
        builder.Services.AddHostedService<HeartbeatSender>();
        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Behind a TLS-terminating proxy that the operator named, the request is HTTPS (so cookies are Secure) and
        // comes from the client the proxy saw; X-Forwarded-* from anyone else is ignored.
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HttpOptions>>().Value.ForwardedHeaders() is { } forwarded)
            app.UseForwardedHeaders(forwarded);
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        app.UseEndpointAccess();
        app.UseRateLimiter();
        // Readiness with each check's status and what it says (never a secret): a Degraded check, such as messages
        // waiting in an error queue, is shown here while the service stays in rotation (HTTP 200).
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync });
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag) });
        return app;
    }

    private static Task WriteHealthAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        return http.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.OrderBy(e => e.Key).Select(e => new { name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description }),
        });
    }

    /// <summary>
    /// <c>Postgres:Password</c>, when set, goes into <c>ConnectionStrings:Postgres</c>: the password can come as a
    /// secret of its own (on AWS, the database's generated secret), and the rest of the connection string need not be secret.
    /// </summary>
    private static void AddPostgresPassword(this IHostApplicationBuilder builder)
    {
        if (builder.Configuration["Postgres:Password"] is { Length: > 0 } password && builder.Configuration.GetConnectionString("Postgres") is { Length: > 0 } connection)
            builder.Configuration["ConnectionStrings:Postgres"] = new Npgsql.NpgsqlConnectionStringBuilder(connection) { Password = password }.ConnectionString;
    }

    private static void AddPlatformLogging(this IHostApplicationBuilder builder)
    {
        var json = string.Equals(builder.Configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase);
        builder.Services.AddSerilog(log =>
        {
            log.MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Extensions.Http", LogEventLevel.Warning)
                .MinimumLevel.Override("System.Net.Http.HttpClient", LogEventLevel.Warning)
                // Polly logs every retried AWS or HTTP call with its stack trace; the caller logs what failed, and why.
                .MinimumLevel.Override("Polly", LogEventLevel.Fatal)
                // Marten logs an optimistic-concurrency conflict, which our retries expect, at error level with the
                // whole event body; our own consumers log what matters.
                .MinimumLevel.Override("Marten", LogEventLevel.Fatal)
                .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
                .Enrich.FromLogContext()
                .Enrich.WithProperty("Service", builder.Environment.ApplicationName);
            if (json)
                log.WriteTo.Console(new CompactJsonFormatter());
            else
                log.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}");
            log.ReadFrom.Configuration(builder.Configuration);
        });
    }

    private static void AddPlatformTelemetry(this IHostApplicationBuilder builder)
    {
        var otel = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddMeter("MassTransit", "Platform", "Platform.Bus.AmazonSqs"))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !ctx.Request.Path.StartsWithSegments("/health")
                    && !ctx.Request.Path.StartsWithSegments("/alive"))
                .AddSource("MassTransit", "Platform"));
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            otel.UseOtlpExporter();
    }
}
