using MassTransit;
using MassTransit.Configuration;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Transports;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>
/// Sends to one queue or publishes to one topic. The body is MassTransit's envelope, which carries the message's
/// headers; only the content type travels as a message attribute, so SNS's limit of 10 is never near.
/// </summary>
public sealed class SqsSendTransportContext(IHostConfiguration host, ReceiveEndpointContext endpoint, SqsConnection connection, SqsDestination destination)
    : BaseSendTransportContext(host, endpoint.Serialization), SendTransportContext<PipeContext>
{
    public const string ContentTypeAttribute = "Content-Type";

    public override string EntityName => destination.Name;

    public override string ActivitySystem => destination.IsTopic ? "aws_sns" : "aws_sqs";

    public override async Task<SendContext<T>> CreateSendContext<T>(T message, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken)
    {
        var context = new MessageSendContext<T>(message, cancellationToken);
        await pipe.Send(context).ConfigureAwait(false);
        return context;
    }

    public Task<SendContext<T>> CreateSendContext<T>(PipeContext context, T message, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken)
        where T : class => CreateSendContext(message, pipe, cancellationToken);

    public async Task Send<T>(PipeContext transportContext, SendContext<T> context) where T : class
    {
        context.CancellationToken.ThrowIfCancellationRequested();
        var sendContext = context as MessageSendContext<T> ?? throw new ArgumentException("The send context is not this transport's.", nameof(context));
        var delay = context.Delay is { } d && d > TimeSpan.Zero ? (int)Math.Ceiling(d.TotalSeconds) : 0;
        var message = new SqsOutgoingMessage(sendContext.Body.GetString(),
            new Dictionary<string, string> { [ContentTypeAttribute] = context.ContentType?.ToString() ?? "application/vnd.masstransit+json" }, delay);
        await connection.SendAsync(destination, message, context.CancellationToken).ConfigureAwait(false);
    }

    public Task Send(IPipe<PipeContext> pipe, CancellationToken cancellationToken = default) => pipe.Send(new SendPipeContext(cancellationToken));

    public void Probe(ProbeContext context) => context.Add(destination.IsTopic ? "topic" : "queue", destination.Name);

    private sealed class SendPipeContext(CancellationToken cancellationToken) : BasePipeContext(cancellationToken);
}

public sealed class SqsSendTransportProvider(SqsHostConfiguration host, SqsReceiveEndpointContext endpoint) : ISendTransportProvider
{
    public Uri NormalizeAddress(Uri address) => SqsAddress.Normalize(host.HostAddress, address);

    public Task<ISendTransport> GetSendTransport(Uri address) =>
        Task.FromResult<ISendTransport>(new SendTransport<PipeContext>(new SqsSendTransportContext(host, endpoint, host.Connection, SqsAddress.Parse(address))));
}

public sealed class SqsPublishTransportProvider(SqsHostConfiguration host, SqsReceiveEndpointContext endpoint) : IPublishTransportProvider
{
    public Task<ISendTransport> GetPublishTransport<T>(Uri? publishAddress) where T : class
    {
        var destination = publishAddress is null
            ? new SqsDestination(host.Connection.Names.MessageName(typeof(T)), true)
            : SqsAddress.Parse(publishAddress);
        return Task.FromResult<ISendTransport>(new SendTransport<PipeContext>(new SqsSendTransportContext(host, endpoint, host.Connection, destination)));
    }
}
