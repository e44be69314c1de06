using MassTransit;
using MassTransit.Configuration;
using MassTransit.Observables;
using MassTransit.Transports;

namespace Platform.ServiceDefaults.AmazonSqs;

public interface ISqsBusFactoryConfigurator : IBusFactoryConfigurator<ISqsReceiveEndpointConfigurator>;

public interface ISqsReceiveEndpointConfigurator : IReceiveEndpointConfigurator
{
    /// <summary>
    /// When set, the endpoint receives only while it holds this lease (one instance at a time consumes its queue, the
    /// others stand by): it returns the held lease, or null when another instance holds it.
    /// </summary>
    Func<CancellationToken, Task<ISqsReceiveLease?>>? ExclusiveLease { get; set; }
}

/// <summary>The bus: its endpoint settings, host and observers.</summary>
public sealed class SqsBusConfiguration : SqsEndpointConfiguration, IBusConfiguration
{
    private readonly BusObservable busObservers = new();

    public SqsBusConfiguration(SqsTopologyConfiguration topology)
        : base(topology)
    {
        HostConfiguration = new SqsHostConfiguration(this, topology);
        BusEndpointConfiguration = CreateEndpointConfiguration(isBusEndpoint: true);
    }

    public SqsHostConfiguration HostConfiguration { get; }

    public SqsEndpointConfiguration BusEndpointConfiguration { get; }

    IHostConfiguration IBusConfiguration.HostConfiguration => HostConfiguration;

    IEndpointConfiguration IBusConfiguration.BusEndpointConfiguration => BusEndpointConfiguration;

    IBusObserver IBusConfiguration.BusObservers => busObservers;

    public ConnectHandle ConnectBusObserver(IBusObserver observer) => busObservers.Connect(observer);

    public ConnectHandle ConnectEndpointConfigurationObserver(IEndpointConfigurationObserver observer) =>
        HostConfiguration.ConnectEndpointConfigurationObserver(observer);
}

public class SqsEndpointConfiguration : EndpointConfiguration
{
    protected SqsEndpointConfiguration(SqsTopologyConfiguration topology)
        : base(topology)
    {
        Topology = topology;
    }

    private SqsEndpointConfiguration(IEndpointConfiguration parent, SqsTopologyConfiguration topology, bool isBusEndpoint)
        : base(parent, topology, isBusEndpoint)
    {
        Topology = topology;
    }

    public new SqsTopologyConfiguration Topology { get; }

    public SqsEndpointConfiguration CreateEndpointConfiguration(bool isBusEndpoint = false) =>
        new(this, new SqsTopologyConfiguration(Topology), isBusEndpoint);
}

/// <summary>The host: its address, its receive endpoints and the connection they share.</summary>
public sealed class SqsHostConfiguration :
    BaseHostConfiguration<SqsReceiveEndpointConfiguration, ISqsReceiveEndpointConfigurator>
{
    private readonly SqsBusConfiguration bus;
    private SqsConnection? connection;
    private Uri hostAddress = new($"{SqsAddress.Scheme}://localhost/");

    public SqsHostConfiguration(SqsBusConfiguration bus, SqsTopologyConfiguration topology)
        : base(bus)
    {
        this.bus = bus;
        Topology = new SqsBusTopology(this, topology);
        ReceiveTransportRetryPolicy = Retry.CreatePolicy(r =>
        {
            r.Handle<Amazon.Runtime.AmazonServiceException>();
            r.Handle<HttpRequestException>();
            r.Handle<SnsException>();
            r.Exponential(1000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3));
        });
    }

    public SqsConnection Connection
    {
        get => connection ?? throw new InvalidOperationException("The Amazon SQS connection is set when the bus is created.");
        set
        {
            connection = value;
            hostAddress = new Uri($"{SqsAddress.Scheme}://{value.Options.Region ?? value.Options.ServiceUrl!.Authority}/");
        }
    }

    public override Uri HostAddress => hostAddress;

    public override IBusTopology Topology { get; }

    public override IRetryPolicy ReceiveTransportRetryPolicy { get; }

    public override IHost Build()
    {
        var host = new SqsHost(this, Topology);
        foreach (var endpoint in GetConfiguredEndpoints())
            endpoint.Build(host);
        return host;
    }

    public SqsReceiveEndpointConfiguration CreateReceiveEndpointConfiguration(string queueName, Action<ISqsReceiveEndpointConfigurator>? configure) =>
        CreateReceiveEndpointConfiguration(queueName, bus.CreateEndpointConfiguration(), configure);

    public SqsReceiveEndpointConfiguration CreateReceiveEndpointConfiguration(string queueName, SqsEndpointConfiguration endpoint,
        Action<ISqsReceiveEndpointConfigurator>? configure)
    {
        if (string.IsNullOrWhiteSpace(queueName))
            throw new ArgumentException("A receive endpoint needs a queue name.", nameof(queueName));
        var configuration = new SqsReceiveEndpointConfiguration(this, queueName, endpoint);
        configure?.Invoke(configuration);
        Observers.EndpointConfigured(configuration);
        Add(configuration);
        return configuration;
    }

    public override IReceiveEndpointConfiguration CreateReceiveEndpointConfiguration(string queueName, Action<IReceiveEndpointConfigurator>? configure) =>
        CreateReceiveEndpointConfiguration(queueName, configure is null ? null : c => configure(c));

    public override void ReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<ISqsReceiveEndpointConfigurator>? configureEndpoint = null)
    {
        var queueName = definition.GetEndpointName(endpointNameFormatter ?? DefaultEndpointNameFormatter.Instance);
        ReceiveEndpoint(queueName, c =>
        {
            ApplyEndpointDefinition(c, definition);
            configureEndpoint?.Invoke(c);
        });
    }

    public override void ReceiveEndpoint(string queueName, Action<ISqsReceiveEndpointConfigurator> configureEndpoint) =>
        CreateReceiveEndpointConfiguration(queueName, configureEndpoint);

    public new void ApplyEndpointDefinition(IReceiveEndpointConfigurator configurator, IEndpointDefinition definition) =>
        base.ApplyEndpointDefinition(configurator, definition);
}
