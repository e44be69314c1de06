using System.Net.Mime;
using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;

namespace Platform.History.Features.RecordEcsEvents;

/// <summary>
/// Reads history's ECS-event messages (MassTransit's JSON envelope) straight into
/// <see cref="Contracts.Ingest.RecordEcsEvents"/>. MassTransit's own deserializer first copies the message into a
/// <see cref="JsonElement"/>: for a message of 100 events that is a large-object copy of the body, and under load
/// those copies were 40 % of the bytes history allocated. A body of another shape or type is left to MassTransit's
/// deserializer.
/// </summary>
public sealed class RecordEcsEventsDeserializer : IMessageDeserializer, ISerializerFactory
{
    private static readonly string MessageType = MessageUrn.ForTypeString<Contracts.Ingest.RecordEcsEvents>();
    private static readonly SystemTextJsonMessageSerializer Standard = SystemTextJsonMessageSerializer.Instance;

    public ContentType ContentType => SystemTextJsonMessageSerializer.JsonContentType;

    public void Probe(ProbeContext context) => context.CreateScope("json").Add("contentType", ContentType.MediaType);

    public ConsumeContext Deserialize(ReceiveContext receiveContext) =>
        new BodyConsumeContext(receiveContext, Deserialize(receiveContext.Body, receiveContext.TransportHeaders, receiveContext.InputAddress));

    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null)
    {
        if (Read(body) is not { Message: { } message } envelope)
            return Standard.Deserialize(body, headers, destinationAddress);
        return new SystemTextJsonSerializerContext(Standard, SystemTextJsonMessageSerializer.Options, ContentType,
            new EnvelopeMessageContext(envelope, Standard), envelope.MessageType!, envelope, message);
    }

    public MessageBody GetMessageBody(string text) => Standard.GetMessageBody(text);

    public IMessageSerializer CreateSerializer() => Standard;

    public IMessageDeserializer CreateDeserializer() => this;

    private static Envelope? Read(MessageBody body)
    {
        try
        {
            var envelope = JsonSerializer.Deserialize<Envelope>(body.GetBytes(), SystemTextJsonMessageSerializer.Options);
            return envelope?.MessageType?.Contains(MessageType) == true ? envelope : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>MassTransit's envelope with its message typed.</summary>
    private sealed class Envelope : MessageEnvelope
    {
        public string? MessageId { get; init; }
        public string? RequestId { get; init; }
        public string? CorrelationId { get; init; }
        public string? ConversationId { get; init; }
        public string? InitiatorId { get; init; }
        public string? SourceAddress { get; init; }
        public string? DestinationAddress { get; init; }
        public string? ResponseAddress { get; init; }
        public string? FaultAddress { get; init; }
        public string[]? MessageType { get; init; }
        public Contracts.Ingest.RecordEcsEvents? Message { get; init; }
        object? MessageEnvelope.Message => Message;
        public DateTime? ExpirationTime { get; init; }
        public DateTime? SentTime { get; init; }
        public Dictionary<string, object?>? Headers { get; init; }
        public HostInfo? Host { get; init; }
    }
}
