using MassTransit;
using MassTransit.Configuration;
using MassTransit.Transports;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>One receive endpoint: its queue, the topics its consumers subscribe it to, and how it receives.</summary>
public sealed class SqsReceiveEndpointConfiguration : ReceiveEndpointConfiguration, ISqsReceiveEndpointConfigurator
{
    private readonly SqsHostConfiguration host;
    private readonly SqsEndpointConfiguration endpoint;
    private readonly HashSet<string> topics = [];

    public SqsReceiveEndpointConfiguration(SqsHostConfiguration host, string queueName, SqsEndpointConfiguration endpoint)
        : base(host, endpoint)
    {
        this.host = host;
        this.endpoint = endpoint;
        QueueName = queueName;
        HostAddress = host.HostAddress;
        InputAddress = SqsAddress.Queue(host.HostAddress, queueName);
    }

    /// <summary>The endpoint's name (the queue's, without the prefix).</summary>
    public string QueueName { get; }

    public override Uri HostAddress { get; }

    public override Uri InputAddress { get; }

    public Func<CancellationToken, Task<ISqsReceiveLease?>>? ExclusiveLease { get; set; }

    /// <summary>The entity names of the message types its consumers take: the topics its queue subscribes to.</summary>
    public IReadOnlyCollection<string> Topics => topics;

    public SqsTopologyConfiguration SqsTopology => endpoint.Topology;

    public void Subscribe(string entityName) => topics.Add(entityName);

    public override ReceiveEndpointContext CreateReceiveEndpointContext() => CreateSqsReceiveEndpointContext();

    public void Build(IHost host)
    {
        var context = CreateSqsReceiveEndpointContext();
        var receiveEndpoint = new ReceiveEndpoint(new SqsReceiveTransport(context, this), context);
        host.AddReceiveEndpoint(QueueName, receiveEndpoint);
        ReceiveEndpoint = receiveEndpoint;
    }

    private SqsReceiveEndpointContext CreateSqsReceiveEndpointContext()
    {
        var builder = new SqsReceiveEndpointBuilder(this);
        ApplySpecifications(builder);
        var context = new SqsReceiveEndpointContext(host, this);
        context.GetOrAddPayload(() => host.Topology);
        return context;
    }
}

/// <summary>Subscribes the endpoint's queue to the topic of each message type a consumer connects, as MassTransit's transports bind them.</summary>
public sealed class SqsReceiveEndpointBuilder(SqsReceiveEndpointConfiguration configuration) : ReceiveEndpointBuilder(configuration)
{
    public override ConnectHandle ConnectConsumePipe<T>(IPipe<ConsumeContext<T>> pipe, ConnectPipeOptions options)
    {
        if (configuration.ConfigureConsumeTopology && options.HasFlag(ConnectPipeOptions.ConfigureConsumeTopology)
            && configuration.SqsTopology.Consume.GetMessageTopology<T>().ConfigureConsumeTopology
            && !((IMessagePublishTopology<T>)configuration.SqsTopology.Publish.GetMessageTopology<T>()).Exclude)
            configuration.Subscribe(configuration.SqsTopology.Message.GetMessageTopology<T>().EntityName);
        return base.ConnectConsumePipe(pipe, options);
    }
}

public sealed class SqsReceiveEndpointContext(SqsHostConfiguration host, SqsReceiveEndpointConfiguration configuration)
    : BaseReceiveEndpointContext(host, configuration)
{
    public SqsConnection Connection => host.Connection;

    public override void AddSendAgent(IAgent agent) => throw new NotSupportedException();

    public override void AddConsumeAgent(IAgent agent) => throw new NotSupportedException();

    public override Exception ConvertException(Exception exception, string message) => exception;

    protected override ISendTransportProvider CreateSendTransportProvider() => new SqsSendTransportProvider(host, this);

    protected override IPublishTransportProvider CreatePublishTransportProvider() => new SqsPublishTransportProvider(host, this);
}

/// <summary>The host: starts endpoints connected after the bus started, as the built-in transports' hosts do.</summary>
public sealed class SqsHost(SqsHostConfiguration configuration, IBusTopology topology) : BaseHost(configuration, topology), IHost<ISqsReceiveEndpointConfigurator>
{
    public override HostReceiveEndpointHandle ConnectReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<IReceiveEndpointConfigurator>? configureEndpoint = null) =>
        ConnectReceiveEndpoint(definition, endpointNameFormatter, (ISqsReceiveEndpointConfigurator c) => configureEndpoint?.Invoke(c));

    public HostReceiveEndpointHandle ConnectReceiveEndpoint(IEndpointDefinition definition, IEndpointNameFormatter? endpointNameFormatter,
        Action<ISqsReceiveEndpointConfigurator>? configureEndpoint = null)
    {
        var queueName = definition.GetEndpointName(endpointNameFormatter ?? DefaultEndpointNameFormatter.Instance);
        return ConnectReceiveEndpoint(queueName, (ISqsReceiveEndpointConfigurator c) =>
        {
            configuration.ApplyEndpointDefinition(c, definition);
            configureEndpoint?.Invoke(c);
        });
    }

    public override HostReceiveEndpointHandle ConnectReceiveEndpoint(string queueName, Action<IReceiveEndpointConfigurator>? configureEndpoint = null) =>
        ConnectReceiveEndpoint(queueName, (ISqsReceiveEndpointConfigurator c) => configureEndpoint?.Invoke(c));

    public HostReceiveEndpointHandle ConnectReceiveEndpoint(string queueName, Action<ISqsReceiveEndpointConfigurator>? configure = null)
    {
        var endpoint = configuration.CreateReceiveEndpointConfiguration(queueName, configure);
        endpoint.Validate().ThrowIfContainsFailure("The receive endpoint configuration is invalid:");
        endpoint.Build(this);
        return ReceiveEndpoints.Start(queueName);
    }

    protected override void Probe(ProbeContext context)
    {
        context.Add("type", "Amazon SQS/SNS (Platform)");
        context.Add("hostAddress", configuration.HostAddress);
    }
}
