namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>
/// One message on its way to a queue or a topic: MassTransit's envelope as the body, a few transport headers as message
/// attributes (at most 10: SNS raw delivery discards messages with more), and a delay (queues only, at most 15 min).
/// </summary>
public sealed record SqsOutgoingMessage(string Body, IReadOnlyDictionary<string, string> Attributes, int DelaySeconds = 0)
{
    /// <summary>SQS's and SNS's limit for one message, body and attributes together (256 KiB).</summary>
    public const int MaxBytes = 262_144;

    /// <summary>The size SQS and SNS count: the body's and each attribute's name, type and value in UTF-8.</summary>
    public int Bytes { get; } = System.Text.Encoding.UTF8.GetByteCount(Body)
        + Attributes.Sum(a => System.Text.Encoding.UTF8.GetByteCount(a.Key) + "String".Length + System.Text.Encoding.UTF8.GetByteCount(a.Value));
}
