using MassTransit;
using MassTransit.Configuration;
using MassTransit.Topology;
using MassTransit.Transports;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.ServiceDefaults.AmazonSqs;

public static class AmazonSqsBusExtensions
{
    /// <summary>
    /// The bus over Amazon SQS and SNS, with the <see cref="SqsConnection"/> registered in the container
    /// (<see cref="AmazonSqsServiceCollectionExtensions.AddAmazonSqsConnection"/>).
    /// </summary>
    public static void UsingAmazonSqs(this IBusRegistrationConfigurator bus, Action<IBusRegistrationContext, ISqsBusFactoryConfigurator>? configure = null) =>
        bus.SetBusFactory(new SqsRegistrationBusFactory(configure));
}

public sealed class SqsRegistrationBusFactory : TransportRegistrationBusFactory<ISqsReceiveEndpointConfigurator>
{
    private readonly SqsBusConfiguration bus;
    private readonly Action<IBusRegistrationContext, ISqsBusFactoryConfigurator>? configure;

    public SqsRegistrationBusFactory(Action<IBusRegistrationContext, ISqsBusFactoryConfigurator>? configure)
        : this(new SqsBusConfiguration(new SqsTopologyConfiguration(new MessageTopology(new SqsEntityNames("")))), configure)
    {
    }

    private SqsRegistrationBusFactory(SqsBusConfiguration bus, Action<IBusRegistrationContext, ISqsBusFactoryConfigurator>? configure)
        : base(bus.HostConfiguration)
    {
        this.bus = bus;
        this.configure = configure;
    }

    public override IBusInstance CreateBus(IBusRegistrationContext context, IEnumerable<IBusInstanceSpecification> specifications, string busName)
    {
        bus.HostConfiguration.Connection = context.GetRequiredService<SqsConnection>();
        LogContext.ConfigureCurrentLogContext(context.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>());
        return CreateBus(new SqsBusFactoryConfigurator(bus), context, configure, specifications);
    }
}

public sealed class SqsBusFactoryConfigurator : BusFactoryConfigurator, ISqsBusFactoryConfigurator, IBusFactory
{
    private readonly SqsBusConfiguration bus;

    public SqsBusFactoryConfigurator(SqsBusConfiguration bus)
        : base(bus)
    {
        this.bus = bus;
        bus.BusEndpointConfiguration.Consume.Configurator.AutoStart = true;
    }

    public IReceiveEndpointConfiguration CreateBusEndpointConfiguration(Action<IReceiveEndpointConfigurator> configure) =>
        bus.HostConfiguration.CreateReceiveEndpointConfiguration(bus.Topology.Consume.CreateTemporaryQueueName("bus"), bus.BusEndpointConfiguration, configure);

    public void ReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<ISqsReceiveEndpointConfigurator>? configureEndpoint = null) =>
        bus.HostConfiguration.ReceiveEndpoint(definition, endpointNameFormatter, configureEndpoint);

    public void ReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<IReceiveEndpointConfigurator>? configureEndpoint = null) =>
        bus.HostConfiguration.ReceiveEndpoint(definition, endpointNameFormatter, configureEndpoint);

    public void ReceiveEndpoint(string queueName, Action<ISqsReceiveEndpointConfigurator> configureEndpoint) =>
        bus.HostConfiguration.ReceiveEndpoint(queueName, configureEndpoint);

    public void ReceiveEndpoint(string queueName, Action<IReceiveEndpointConfigurator> configureEndpoint) =>
        bus.HostConfiguration.ReceiveEndpoint(queueName, configureEndpoint);
}
