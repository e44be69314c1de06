using JasperFx;
using Marten;
using MassTransit;
using Platform.Retry.Features.PublishDecisions;
using Platform.Retry.Features.RetryFailures;
using Platform.Retry.Features.StopOverrunningRuns;
using Platform.ServiceDefaults.Configuration;
using Weasel.Core;
using Microsoft.Extensions.Options;
using Platform.Retry.Features.CallAws;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Aws;

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
        builder.Services.AddAwsClient<IEcsApi>("ecs", EcsJsonContext.Default.Options);
        builder.Services.AddAwsClient<ICloudTrailApi>("cloudtrail", CloudTrailJsonContext.Default.Options);
        return builder;
    }

    public static IEndpointRouteBuilder MapRetry(this IEndpointRouteBuilder app) => app;
}

/// <summary>The retry service's document store: planned relaunches and ended chains.</summary>
public interface IRetryStore : IDocumentStore;
