using JasperFx;
using Marten;
using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Notifier.Features.DeliverToSlack;
using Platform.Notifier.Features.RouteAlerts;
using Platform.Notifier.Features.SilenceAlerts;
using Platform.Notifier.Features.TrackIncidents;
using Platform.Notifier.Features.ViewDeliveries;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Configuration;
using Refit;
using Weasel.Core;

namespace Platform.Notifier;

public static class NotifierModule
{
    /// <summary>One endpoint for every run outcome, one message at a time, one instance at a time: an incident's updates must not interleave.</summary>
    public const string RunOutcomesEndpoint = PlatformTopology.NotifierRunOutcomes;

    public static IHostApplicationBuilder AddNotifier(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPlatformOptions<NotifierOptions>()
            .Configure<IConfiguration>((o, config) => o.ConnectionString ??= config.GetConnectionString("Postgres"));
        builder.Services.AddPlatformConfig();
        builder.Services.AddHealthChecks().AddPostgres("notifier-postgres", sp => sp.GetRequiredService<IOptions<NotifierOptions>>().Value.ConnectionString!);
        builder.Services.AddSingleton<AlertRouter>();
        builder.Services.AddSingleton<AlertRecorder>();
        builder.Services.AddSingleton<ActiveSilences>();
        builder.Services.AddSingleton<DeliverySignal>();

        // The notifier keeps its own store (its own schema), apart from history's event store.
        builder.Services.AddMartenStore<INotifierStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<NotifierOptions>>().Value;
            var opts = new StoreOptions();
            opts.Connection(options.ConnectionString!);
            opts.DatabaseSchemaName = options.Schema;
            opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
            opts.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
            opts.Schema.For<Delivery>().Duplicate(d => d.Route).Duplicate(d => d.Job).Duplicate(d => d.Sequence).Index(d => d.Status);
            opts.Schema.For<Incident>();
            opts.Schema.For<HandledMessage>();
            opts.Schema.For<Silence>();
            return opts;
        }).ApplyAllDatabaseChangesOnStartup();

        var json = new RefitSettings(new SystemTextJsonContentSerializer(SlackJsonContext.Default.Options));
        builder.Services.AddTransient<WebhookUrlHandler>();
        builder.Services.AddRefitGeneratedClient<ISlackWebhookApi>(_ => json)
            .ConfigureHttpClient(c => c.BaseAddress = new Uri("http://webhook.invalid"))
            .AddHttpMessageHandler<WebhookUrlHandler>();
        builder.Services.AddRefitGeneratedClient<ISlackWebApi>(_ => json)
            .ConfigureHttpClient((sp, c) => c.BaseAddress = sp.GetRequiredService<IOptions<NotifierOptions>>().Value.SlackApiUrl);
        builder.Services.AddHostedService<DeliveryDispatcher>();

        builder.AddBusConsumers(x =>
        {
            x.AddConsumer<RunFailedConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.AddConsumer<LaunchFailedConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.AddConsumer<RunSucceededConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.AddConsumer<RunMissedConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.AddConsumer<DigestReadyConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.AddConsumer<RunSlowConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.AddConsumer<RunLateConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.AddConsumer<PipelineLateConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.AddConsumer<RelaunchScheduledConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.AddConsumer<TaskRelaunchedConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.AddConsumer<RelaunchFailedConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.AddConsumer<RetriesExhaustedConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.AddConsumer<MessageDeadLetteredConsumer>().Endpoint(e => e.Name = RunOutcomesEndpoint);
            x.ConfigureSingleWriterEndpoint(RunOutcomesEndpoint);
        });
        return builder;
    }

    public static IEndpointRouteBuilder MapNotifier(this IEndpointRouteBuilder app)
    {
        // Reads show alert texts, task ARNs and account ids: the read key (the dashboard's) or the admin key opens them.
        static IEnumerable<string?> ReadKeys(IServiceProvider sp) =>
            sp.GetRequiredService<IOptions<NotifierOptions>>().Value is var o ? [o.ReadApiKey, o.AdminApiKey] : [];
        app.MapGet("/deliveries", DeliveryLogEndpoint.HandleAsync).RequireApiKey(ReadKeys);
        app.MapGet("/incidents", IncidentEndpoints.ListAsync).RequireApiKey(ReadKeys);
        app.MapGet("/silences", SilenceEndpoints.ListAsync).RequireApiKey(ReadKeys);
        var admin = app.MapGroup("/silences")
            .RequireApiKey(sp => sp.GetRequiredService<IOptions<NotifierOptions>>().Value.AdminApiKey);
        admin.MapPost("/", SilenceEndpoints.CreateAsync);
        admin.MapDelete("/{id:guid}", SilenceEndpoints.DeleteAsync);
        return app;
    }
}

/// <summary>The notifier's document store: deliveries, incidents, silences.</summary>
public interface INotifierStore : IDocumentStore;
