using Amazon.Runtime.Credentials;
using JasperFx;
using Marten;
using MassTransit;
using Platform.Retry.Features.PublishDecisions;
using Platform.Retry.Features.RetryFailures;
using Platform.Retry.Features.StopOverrunningRuns;
using Platform.ServiceDefaults.Configuration;
using Weasel.Core;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Platform.Retry.Features.CallAws;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Aws;
using System.Text.Json;
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
            opts.Schema.For<OutboxMessage>().Duplicate(m => m.StoredAt);
            return opts;
        }).ApplyAllDatabaseChangesOnStartup();
        builder.Services.AddSingleton<DecisionOutbox>();
        builder.Services.AddSingleton<RelaunchPlanner>();
        builder.Services.AddSingleton<RelaunchVerifier>();
        builder.Services.AddHostedService<RelaunchScheduler>();
        builder.Services.AddHostedService<TimeoutEnforcer>();
        builder.AddBusConsumers(x =>
        {
            x.AddConsumer<LaunchFailedConsumer>().Endpoint(e => e.Name = PlatformTopology.RetryRunOutcomes);
            x.AddConsumer<RunFailedConsumer>().Endpoint(e => e.Name = PlatformTopology.RetryRunOutcomes);
            x.AddConsumer<RunStartedConsumer>().Endpoint(e => e.Name = PlatformTopology.RetryRunOutcomes);
            x.ConfigureSingleWriterEndpoint(PlatformTopology.RetryRunOutcomes);
        });
        builder.Services.AddAwsOptions(regionRequired: true, aliases: "Retry:Ecs");
        builder.Services.AddSingleton<DefaultAWSCredentialsIdentityResolver>();
        builder.Services.AddAwsClient<IEcsApi>("ecs", EcsJsonContext.Default.Options);
        builder.Services.AddAwsClient<ICloudTrailApi>("cloudtrail", CloudTrailJsonContext.Default.Options);
        return builder;
    }

    public static IEndpointRouteBuilder MapRetry(this IEndpointRouteBuilder app) => app;

    /// <summary>
    /// A typed client of one AWS JSON 1.1 API. Retries wrap the signing handler, so every attempt is signed anew;
    /// RunTask requests carry a clientToken, which makes a retried POST idempotent.
    /// </summary>
    private static void AddAwsClient<T>(this IServiceCollection services, string service, JsonSerializerOptions json) where T : class
    {
        var settings = new RefitSettings(new SystemTextJsonContentSerializer(json));
        var client = services.AddRefitGeneratedClient<T>(_ => settings)
            .ConfigureHttpClient((sp, http) => http.BaseAddress = sp.GetRequiredService<IOptions<AwsOptions>>().Value.EndpointFor(service));
        client.AddResilienceHandler(service, pipeline => pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = 4,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            ShouldHandle = args => AwsTransientErrors.IsTransientAsync(args.Outcome),
        }));
        client.AddHttpMessageHandler(sp => new SigV4SigningHandler(service, sp.GetRequiredService<IOptions<AwsOptions>>().Value.Region!,
            sp.GetRequiredService<DefaultAWSCredentialsIdentityResolver>()));
    }
}

/// <summary>The retry service's document store: planned relaunches and ended chains.</summary>
public interface IRetryStore : IDocumentStore;
