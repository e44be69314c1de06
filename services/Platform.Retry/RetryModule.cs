using Amazon.Runtime.Credentials;
using JasperFx;
using Marten;
using MassTransit;
using Platform.Retry.Features.RetryFailures;
using Platform.Retry.Features.StopOverrunningRuns;
using Platform.ServiceDefaults.Configuration;
using Weasel.Core;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Platform.Retry.Features.CallEcs;
using Platform.ServiceDefaults;
using Polly;
using Refit;

namespace Platform.Retry;

public static class RetryModule
{
    public static IHostApplicationBuilder AddRetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPlatformOptions<RetryOptions>()
            .Configure<IConfiguration>((o, config) => o.ConnectionString ??= config.GetConnectionString("Postgres"));
        builder.Services.AddPlatformConfig();
        builder.Services.AddHealthChecks().AddPostgres("retry-postgres", sp => sp.GetRequiredService<IOptions<RetryOptions>>().Value.ConnectionString!);
        builder.Services.AddMartenStore<IRetryStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RetryOptions>>().Value;
            var opts = new StoreOptions();
            opts.Connection(options.ConnectionString!);
            opts.DatabaseSchemaName = options.Schema;
            opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
            opts.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
            opts.Schema.For<Relaunch>().Duplicate(r => r.DueAt).Index(r => r.Status);
            opts.Schema.For<ChainExhausted>();
            opts.Schema.For<TimeoutWatch>().Duplicate(w => w.Deadline).Index(w => w.Status);
            return opts;
        }).ApplyAllDatabaseChangesOnStartup();
        builder.Services.AddSingleton<RelaunchPlanner>();
        builder.Services.AddHostedService<RelaunchScheduler>();
        builder.Services.AddHostedService<TimeoutEnforcer>();
        builder.AddBusConsumers(x =>
        {
            x.AddConsumer<LaunchFailedConsumer>().Endpoint(e => e.Name = PlatformTopology.RetryRunOutcomes);
            x.AddConsumer<RunFailedConsumer>().Endpoint(e => e.Name = PlatformTopology.RetryRunOutcomes);
            x.AddConsumer<RunStartedConsumer>().Endpoint(e => e.Name = PlatformTopology.RetryRunOutcomes);
            x.ConfigureSingleWriterEndpoint(PlatformTopology.RetryRunOutcomes);
        });
        builder.Services.AddSingleton<DefaultAWSCredentialsIdentityResolver>();
        builder.Services.AddTransient<SigV4SigningHandler>();
        var json = new RefitSettings(new SystemTextJsonContentSerializer(EcsJsonContext.Default.Options));
        var ecs = builder.Services.AddRefitGeneratedClient<IEcsApi>(_ => json)
            .ConfigureHttpClient((sp, client) => client.BaseAddress = sp.GetRequiredService<IOptions<RetryOptions>>().Value.Ecs.Endpoint);
        // Retries wrap the signing handler, so every attempt is signed anew. RunTask requests carry a clientToken,
            // which makes a retried POST idempotent.
        ecs.AddResilienceHandler("ecs", pipeline => pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = 4,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                ShouldHandle = args => EcsTransientErrors.IsTransientAsync(args.Outcome),
            }));
        ecs.AddHttpMessageHandler<SigV4SigningHandler>();
        return builder;
    }

    public static IEndpointRouteBuilder MapRetry(this IEndpointRouteBuilder app) => app;
}

/// <summary>The retry service's document store: planned relaunches and ended chains.</summary>
public interface IRetryStore : IDocumentStore;
