using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>Where a message goes: a queue (SendMessage) or a topic (SNS Publish), by its name without the prefix.</summary>
public sealed record SqsDestination(string Name, bool IsTopic);

/// <summary>
/// The bus's one way to SQS and SNS in a process: sends, publishes and deletes go through batchers per destination;
/// queues and topics are created on first use (<see cref="SqsEntities"/>). Before a message type is first published,
/// the queues known to subscribe to it (<paramref name="subscribers"/>: entity name → endpoint names) are declared and
/// subscribed, so what is published before its consumer first ran waits in the consumer's queue.
/// </summary>
public sealed class SqsConnection(IAmazonSQS sqs, SnsClient sns, AmazonSqsOptions options, SqsRequestCounter counter,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? subscribers = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> publishTopics = new();

    private readonly ConcurrentDictionary<string, SqsBatcher<SqsOutgoingMessage>> senders = new();
    private readonly ConcurrentDictionary<string, SqsBatcher<string>> deleters = new();

    public SqsEntityNames Names { get; } = new(options.Prefix);

    public SqsEntities Entities { get; } = new(sqs, sns, options, counter);

    public AmazonSqsOptions Options => options;

    public SqsRequestCounter Counter => counter;

    public async Task SendAsync(SqsDestination destination, SqsOutgoingMessage message, CancellationToken ct)
    {
        if (message.Bytes > SqsOutgoingMessage.MaxBytes)
            throw new SqsMessageTooLargeException(destination.Name, message.Bytes);
        if (message.Attributes.Count > 10)
            throw new ArgumentException($"At most 10 message attributes ({message.Attributes.Count} given): SNS raw delivery drops messages with more.");
        if (destination.IsTopic)
        {
            if (message.DelaySeconds > 0)
                throw new NotSupportedException($"A delay cannot be published ({destination.Name}): SNS delivers at once. Send it to a queue.");
            var topicArn = await PublishTopicAsync(destination.Name, ct);
            var publisher = senders.GetOrAdd("topic:" + topicArn, _ => new SqsBatcher<SqsOutgoingMessage>(
                (batch, token) => sns.PublishBatchAsync(topicArn, batch, token), m => m.Bytes));
            await publisher.EnqueueAsync(message, ct);
            return;
        }
        if (message.DelaySeconds is < 0 or > 900)
            throw new ArgumentOutOfRangeException(nameof(message), $"SQS delays a message by at most 15 minutes ({message.DelaySeconds} s asked for {destination.Name}).");
        await SendToQueueAsync(Names.Queue(destination.Name), message, ct);
    }

    /// <summary>The topic of an entity name, with its known subscribers' queues declared and subscribed; its ARN.</summary>
    private Task<string> PublishTopicAsync(string entityName, CancellationToken ct) => SqsEntities.Once(publishTopics, entityName, async () =>
    {
        var topic = Names.Topic(entityName);
        foreach (var endpoint in subscribers?.GetValueOrDefault(entityName) ?? [])
            await Entities.SubscribeAsync(await Entities.ReceiveQueueAsync(Names.Queue(endpoint), ct), [topic], ct);
        return await Entities.TopicAsync(topic, ct);
    });

    /// <summary>Sends to a queue by its full name (error and dead-letter queues).</summary>
    public async Task SendToQueueAsync(string queueName, SqsOutgoingMessage message, CancellationToken ct)
    {
        var queue = await Entities.QueueAsync(queueName, ct);
        var sender = senders.GetOrAdd("queue:" + queue.Url, _ => new SqsBatcher<SqsOutgoingMessage>(
            (batch, token) => SendBatchAsync(queue.Url, batch, token), m => m.Bytes));
        await sender.EnqueueAsync(message, ct);
    }

    /// <summary>
    /// Deletes a handled message, batched with the queue's other deletes within 200 ms. A single-writer endpoint
    /// completes one message at a time, so its deletes are batched only because the caller need not wait for them
    /// (<see cref="SqsReceiveLock.Complete"/>): a delete lost in a crash redelivers a message its consumer dedupes.
    /// </summary>
    public Task DeleteAsync(SqsQueue queue, string receiptHandle, CancellationToken ct) =>
        deleters.GetOrAdd(queue.Url, url => new SqsBatcher<string>((batch, token) => DeleteBatchAsync(url, batch, token), h => h.Length,
                linger: TimeSpan.FromMilliseconds(200)))
            .EnqueueAsync(receiptHandle, ct);

    public async Task<List<Message>> ReceiveAsync(SqsQueue queue, int max, CancellationToken ct)
    {
        counter.Count("sqs", "ReceiveMessage");
        var answer = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = queue.Url,
            MaxNumberOfMessages = Math.Clamp(max, 1, 10),
            WaitTimeSeconds = options.WaitTimeSeconds,
            MessageSystemAttributeNames = ["ApproximateReceiveCount"],
            MessageAttributeNames = ["All"],
        }, ct);
        return answer.Messages ?? [];
    }

    public Task ChangeVisibilityAsync(SqsQueue queue, string receiptHandle, int seconds, CancellationToken ct)
    {
        counter.Count("sqs", "ChangeMessageVisibility");
        return sqs.ChangeMessageVisibilityAsync(new ChangeMessageVisibilityRequest
        {
            QueueUrl = queue.Url,
            ReceiptHandle = receiptHandle,
            VisibilityTimeout = seconds,
        }, ct);
    }

    private async Task<IReadOnlyList<string?>> SendBatchAsync(string queueUrl, IReadOnlyList<SqsOutgoingMessage> batch, CancellationToken ct)
    {
        counter.Count("sqs", "SendMessageBatch");
        var answer = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = queueUrl,
            Entries = [.. batch.Select((m, i) => new SendMessageBatchRequestEntry
            {
                Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                MessageBody = m.Body,
                DelaySeconds = m.DelaySeconds,
                MessageAttributes = m.Attributes.ToDictionary(a => a.Key, a => new MessageAttributeValue { DataType = "String", StringValue = a.Value }),
            })],
        }, ct);
        return Results(batch.Count, answer.Failed?.Select(f => (f.Id, $"{f.Code}: {f.Message}")));
    }

    private async Task<IReadOnlyList<string?>> DeleteBatchAsync(string queueUrl, IReadOnlyList<string> receiptHandles, CancellationToken ct)
    {
        counter.Count("sqs", "DeleteMessageBatch");
        var answer = await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
        {
            QueueUrl = queueUrl,
            Entries = [.. receiptHandles.Select((h, i) => new DeleteMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), h))],
        }, ct);
        return Results(receiptHandles.Count, answer.Failed?.Select(f => (f.Id, $"{f.Code}: {f.Message}")));
    }

    private static string?[] Results(int count, IEnumerable<(string Id, string Why)>? failed)
    {
        var results = new string?[count];
        foreach (var (id, why) in failed ?? [])
            results[int.Parse(id, System.Globalization.CultureInfo.InvariantCulture)] = why;
        return results;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var batcher in senders.Values)
            await batcher.DisposeAsync();
        foreach (var batcher in deleters.Values)
            await batcher.DisposeAsync();
    }
}

/// <summary>A message over SQS's and SNS's 256 KiB, refused before it is sent.</summary>
public sealed class SqsMessageTooLargeException(string destination, int bytes)
    : Exception($"The message for '{destination}' is {bytes:N0} bytes; SQS and SNS take at most {SqsOutgoingMessage.MaxBytes:N0}.");
