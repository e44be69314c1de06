using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.AmazonSqs;

namespace Platform.ServiceDefaults;

public static class BusExtensions
{
    private const string RegistrationsKey = "Platform.BusRegistrations";

    /// <summary>Lets a module add its consumers; the bus itself is built once by <see cref="AddPlatformBus"/>.</summary>
    public static IHostApplicationBuilder AddBusConsumers(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator> configure)
    {
        Registrations(builder).Add(configure);
        return builder;
    }

    /// <summary>
    /// The one place that picks the transport (<c>Bus:Transport</c>): RabbitMQ, Amazon SQS/SNS (our own transport, as
    /// MassTransit.AmazonSQS is not available here) or in memory (one process).
    /// </summary>
    public static IHostApplicationBuilder AddPlatformBus(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPlatformOptions<BusOptions>()
            .Configure<IConfiguration>((o, config) => o.RabbitMqUri ??= config.GetConnectionString("RabbitMq"));

        // MassTransit keeps its log context in an AsyncLocal and takes the one it finds: a host built on a flow where
        // an earlier host (since disposed) created its bus would log through that host's disposed logger factory
        // (tests build many hosts in one process). Each host starts from none.
        LogContext.Current = null!;
        var registrations = Registrations(builder);
        var transport = builder.Configuration.GetValue<BusTransport>("Bus:Transport", BusTransport.RabbitMq);
        if (transport == BusTransport.RabbitMq)
            builder.Services.AddHostedService<RabbitMqTopology>();
        if (transport == BusTransport.AmazonSqs)
        {
            builder.Services.AddAmazonSqsConnection(PlatformTopology.Subscriptions);
            builder.Services.AddHostedService<SqsRequestReport>();
        }
        builder.Services.AddSingleton<InMemoryBacklog>();
        builder.Services.AddSingleton<DeadLetters>();
        builder.Services.AddHealthChecks().AddCheck<DeadLetters>("dead-letters");
        if (transport == BusTransport.InMemory)
        {
            // The host starts (and its background services send) only once the bus runs: the in-memory bus has no
            // broker to wait for, and drops what is sent to it before it started.
            builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
            builder.Services.AddSendObserver(sp => sp.GetRequiredService<InMemoryBacklog>());
            builder.Services.AddReceiveObserver(sp => sp.GetRequiredService<InMemoryBacklog>());
        }
        builder.Services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            // MassTransit otherwise reports usage to its vendor over the internet; a self-hosted watchdog must not.
            x.DisableUsageTelemetry();
            foreach (var register in registrations)
                register(x);

            x.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                endpoint.UseMessageRetry(r => r.Intervals([.. context.GetRequiredService<IOptions<BusOptions>>().Value.Retries]));
                // MassTransit's own error handling (a Fault, the move to <queue>_error), then the report of it.
                var deadLetters = context.GetRequiredService<DeadLetters>();
                endpoint.ConfigureError(e =>
                {
                    e.UseFilter(new ReportDeadLetterFilter(deadLetters));
                    e.UseFilter(new MassTransit.Middleware.GenerateFaultFilter());
                    e.UseFilter(new MassTransit.Middleware.ErrorTransportFilter());
                });
            });

            switch (transport)
            {
                case BusTransport.InMemory:
                    x.UsingInMemory((context, cfg) =>
                    {
                        UseCompactJson(cfg);
                        cfg.ConfigureEndpoints(context);
                    });
                    break;
                case BusTransport.RabbitMq:
                    x.UsingRabbitMq((context, cfg) =>
                    {
                        var options = context.GetRequiredService<IOptions<BusOptions>>().Value;
                        cfg.Host(new Uri(options.RabbitMqUri!), h => h.PublisherConfirmation = true);
                        cfg.PrefetchCount = options.PrefetchCount;
                        UseCompactJson(cfg);
                        cfg.ConfigureEndpoints(context);
                    });
                    break;
                case BusTransport.AmazonSqs:
                    x.UsingAmazonSqs((context, cfg) =>
                    {
                        cfg.PrefetchCount = context.GetRequiredService<IOptions<BusOptions>>().Value.PrefetchCount;
                        UseCompactJson(cfg);
                        cfg.ConfigureEndpoints(context);
                    });
                    break;
                default:
                    throw new InvalidOperationException($"Bus:Transport '{transport}' is not supported.");
            }
        });
        return builder;
    }

    /// <summary>
    /// MassTransit indents the JSON it sends: a message of 100 ECS events is a quarter whitespace (148 KB against
    /// 110), bytes the broker stores and every service parses.
    /// </summary>
    private static void UseCompactJson(IBusFactoryConfigurator cfg) => cfg.ConfigureJsonSerializerOptions(options =>
    {
        options.WriteIndented = false;
        return options;
    });

    /// <summary>
    /// An endpoint that handles one message at a time in one instance at a time, for consumers whose updates must not
    /// interleave: RabbitMQ's single active consumer; on SQS, only the holder of a PostgreSQL advisory lock receives
    /// (a standby takes over when the holder's connection ends). The others stand by.
    /// </summary>
    public static void ConfigureSingleWriterEndpoint(this IBusRegistrationConfigurator bus, string endpointName) =>
        bus.AddConfigureEndpointsCallback((context, name, endpoint) =>
        {
            if (name != endpointName)
                return;
            endpoint.ConcurrentMessageLimit = 1;
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                rabbit.SingleActiveConsumer = true;
            if (endpoint is ISqsReceiveEndpointConfigurator sqs)
            {
                var postgres = context.GetRequiredService<IConfiguration>().GetConnectionString("Postgres")
                    ?? throw new InvalidOperationException($"ConnectionStrings:Postgres is required: on Amazon SQS one instance at a time consumes '{name}', the holder of a lease in PostgreSQL.");
                var key = "platform-bus:" + context.GetRequiredService<SqsConnection>().Names.Queue(name);
                sqs.ExclusiveLease = ct => PostgresReceiveLease.TryAcquireAsync(postgres, key, ct);
            }
        });

    private static List<Action<IBusRegistrationConfigurator>> Registrations(IHostApplicationBuilder builder)
    {
        if (builder.Properties.TryGetValue(RegistrationsKey, out var existing))
            return (List<Action<IBusRegistrationConfigurator>>)existing;
        var created = new List<Action<IBusRegistrationConfigurator>>();
        builder.Properties[RegistrationsKey] = created;
        return created;
    }
}
