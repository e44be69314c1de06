using JasperFx;
using Marten;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Platform.Digest.Features.SendDigests;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Configuration;
using Refit;

namespace Platform.Digest;

public static class DigestModule
{
    public static IHostApplicationBuilder AddDigest(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPlatformOptions<DigestOptions>()
            .Configure<IConfiguration>((o, config) =>
            {
                o.ConnectionString ??= config.GetConnectionString("Postgres");
                // In one process with history (AllInOne), history's own key is at hand.
                o.HistoryApiKey ??= config["Dashboard:AccessKey"];
            });
        builder.Services.AddPlatformConfig();
        builder.Services.AddHealthChecks().AddPostgres("digest-postgres", sp => sp.GetRequiredService<IOptions<DigestOptions>>().Value.ConnectionString!);
        builder.Services.AddMartenStore<IDigestStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DigestOptions>>().Value;
            var opts = new StoreOptions();
            opts.Connection(options.ConnectionString!);
            opts.DatabaseSchemaName = options.Schema;
            opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
            opts.Schema.For<DigestCursor>();
            return opts;
        }).ApplyAllDatabaseChangesOnStartup();
        builder.Services.AddRefitGeneratedClient<IHistoryReportsApi>()
            .ConfigureHttpClient((sp, client) =>
            {
                var options = sp.GetRequiredService<IOptions<DigestOptions>>().Value;
                client.BaseAddress = options.HistoryUrl;
                client.DefaultRequestHeaders.Add(ApiKeyEndpointFilter.HeaderName, options.HistoryApiKey);
            })
            .AddStandardResilienceHandler();
        builder.Services.AddHostedService<DigestScheduler>();
        return builder;
    }

    public static IEndpointRouteBuilder MapDigest(this IEndpointRouteBuilder app) => app;
}

/// <summary>The digest service's document store: the last period each route got.</summary>
public interface IDigestStore : IDocumentStore;
