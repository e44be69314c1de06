using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Transports;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>
/// Moves a message that could not be consumed to its endpoint's <c>_error</c> queue with MassTransit's fault headers
/// (<c>MT-Fault-*</c>, <c>MT-Reason</c>), written into the envelope's headers: SQS allows 10 message attributes, fewer
/// than the fault headers.
/// </summary>
public sealed class SqsErrorTransport(SqsConnection connection, string errorQueue) : IErrorTransport
{
    public Task Send(ExceptionReceiveContext context) => SqsMove.MoveAsync(connection, errorQueue, context, context.ExceptionHeaders.GetAll());
}

/// <summary>Moves a message no consumer took (MassTransit's "skipped") to the endpoint's <c>_skipped</c> queue, with the reason.</summary>
public sealed class SqsDeadLetterTransport(SqsConnection connection, string skippedQueue) : IDeadLetterTransport
{
    public Task Send(ReceiveContext context, string reason) =>
        SqsMove.MoveAsync(connection, skippedQueue, context, [new KeyValuePair<string, object>(MessageHeaders.Reason, reason)]);
}

internal static class SqsMove
{
    public static async Task MoveAsync(SqsConnection connection, string queue, ReceiveContext context, IEnumerable<KeyValuePair<string, object>> headers)
    {
        var body = Encoding.UTF8.GetString(context.GetBody());
        var attributes = new Dictionary<string, string>();
        if (context.TransportHeaders.TryGetHeader(SqsSendTransportContext.ContentTypeAttribute, out var contentType) && contentType is not null)
            attributes[SqsSendTransportContext.ContentTypeAttribute] = contentType.ToString()!;
        await connection.SendToQueueAsync(queue, new SqsOutgoingMessage(WithHeaders(body, headers), attributes), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The envelope with the headers added to its <c>headers</c> object; a body that is no envelope stays as it is.</summary>
    public static string WithHeaders(string body, IEnumerable<KeyValuePair<string, object>> headers)
    {
        JsonObject envelope;
        try
        {
            if (JsonNode.Parse(body) is not JsonObject parsed)
                return body;
            envelope = parsed;
        }
        catch (JsonException)
        {
            return body;
        }
        if (envelope["headers"] is not JsonObject target)
            envelope["headers"] = target = [];
        foreach (var (key, value) in headers)
            target[key] = value switch
            {
                null => null,
                string text => text,
                DateTime or DateTimeOffset or Uri or Guid => value.ToString(),
                _ => JsonSerializer.SerializeToNode(value),
            };
        return envelope.ToJsonString();
    }
}
