using System.Diagnostics.CodeAnalysis;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Topology;
using MassTransit.Transports;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>Addresses: <c>amazonsqs://host/name</c> for a queue, <c>…/name?type=topic</c> for a topic; names without the prefix.</summary>
public static class SqsAddress
{
    public const string Scheme = "amazonsqs";

    public static Uri Queue(Uri host, string name) => new(host, Uri.EscapeDataString(name));

    public static Uri Topic(Uri host, string name) => new(host, Uri.EscapeDataString(name) + "?type=topic");

    /// <summary>
    /// Reads a full address or MassTransit's short forms (<c>queue:name</c>, <c>topic:name</c>, <c>exchange:name</c>);
    /// query arguments of other transports (<c>?singleactiveconsumer=true</c>) are ignored.
    /// </summary>
    public static SqsDestination Parse(Uri address)
    {
        switch (address.Scheme)
        {
            case "queue":
                return new SqsDestination(Name(address.AbsolutePath), false);
            case "topic" or "exchange":
                return new SqsDestination(Name(address.AbsolutePath), true);
            case Scheme:
                var name = Name(address.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "");
                return new SqsDestination(name, address.Query.Contains("type=topic", StringComparison.OrdinalIgnoreCase));
            default:
                throw new ArgumentException($"'{address}' is not an Amazon SQS address (amazonsqs://, queue:, topic:).", nameof(address));
        }
    }

    public static Uri Normalize(Uri host, Uri address)
    {
        var destination = Parse(address);
        return destination.IsTopic ? Topic(host, destination.Name) : Queue(host, destination.Name);
    }

    private static string Name(string path) => Uri.UnescapeDataString(path.Trim('/'));
}

/// <summary>Send, publish, consume and message topology: MassTransit's own, with publish addresses that name SNS topics.</summary>
public sealed class SqsTopologyConfiguration : ITopologyConfiguration
{
    private readonly IMessageTopologyConfigurator message;
    private readonly ISendTopologyConfigurator send;
    private readonly SqsPublishTopology publish;
    private readonly SqsConsumeTopology consume;

    public SqsTopologyConfiguration(IMessageTopologyConfigurator messageTopology)
    {
        message = messageTopology;
        send = new SendTopology();
        send.ConnectSendTopologyConfigurationObserver(new DelegateSendTopologyConfigurationObserver(GlobalTopology.Send));
        publish = new SqsPublishTopology(messageTopology);
        publish.ConnectPublishTopologyConfigurationObserver(new DelegatePublishTopologyConfigurationObserver(GlobalTopology.Publish));
        publish.ConnectPublishTopologyConfigurationObserver(new PublishToSendTopologyConfigurationObserver(send));
        consume = new SqsConsumeTopology();
    }

    /// <summary>An endpoint's: shares message, send and publish topology with the bus, has its own consume topology.</summary>
    public SqsTopologyConfiguration(SqsTopologyConfiguration bus)
    {
        message = bus.message;
        send = bus.send;
        publish = bus.publish;
        consume = new SqsConsumeTopology();
    }

    public IMessageTopologyConfigurator Message => message;

    public ISendTopologyConfigurator Send => send;

    public IPublishTopologyConfigurator Publish => publish;

    public IConsumeTopologyConfigurator Consume => consume;

    public IEnumerable<MassTransit.ValidationResult> Validate() => send.Validate().Concat(publish.Validate()).Concat(consume.Validate());
}

public sealed class SqsPublishTopology(IMessageTopology messages) : PublishTopology
{
    protected override IMessagePublishTopologyConfigurator CreateMessageTopology<T>()
    {
        var topology = new SqsMessagePublishTopology<T>(this, messages.GetMessageTopology<T>());
        OnMessageTopologyCreated(topology);
        return topology;
    }
}

/// <summary>A message type is published to its own topic. (Consumers of an interface it implements are not reached: SNS cannot bind topics to topics.)</summary>
public sealed class SqsMessagePublishTopology<T>(IPublishTopology publishTopology, IMessageTopology<T> message)
    : MessagePublishTopology<T>(publishTopology) where T : class
{
    public override bool TryGetPublishAddress(Uri baseAddress, [NotNullWhen(true)] out Uri? publishAddress)
    {
        publishAddress = SqsAddress.Topic(baseAddress, message.EntityName);
        return true;
    }
}

public sealed class SqsConsumeTopology : ConsumeTopology
{
    public SqsConsumeTopology()
        : base(80)
    {
    }
}

/// <summary>The bus's topology, as the host shows it.</summary>
public sealed class SqsBusTopology(IHostConfiguration host, ITopologyConfiguration topology) : BusTopology(host, topology);
