using System.Text;
using Amazon;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Aws;
using Platform.Contracts.Ingest;
using Platform.Ingest.Features.NormalizeEcsEvents;

namespace Platform.Ingest.Features.PollSqsQueue;

/// <summary>
/// Reads EventBridge events from the SQS queue an EventBridge rule targets. A message is deleted only after its
/// events were published (or it held nothing we track); one that cannot be parsed stays, so the queue's redrive
/// policy moves it to the dead-letter queue, and the reason is logged.
/// </summary>
public sealed partial class SqsEventPoller(
    IOptions<IngestOptions> options,
    IOptions<AwsOptions> aws,
    EcsEventParser parser,
    EcsEventsSender sender,
    DeadLetters deadLetters,
    IHostApplicationLifetime lifetime,
    ILogger<SqsEventPoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sqs = options.Value.Sqs;
        if (string.IsNullOrWhiteSpace(sqs.QueueUrl))
            return;
        // Nothing is received before the host, and with it the bus, has started: the in-memory bus drops what is sent
        // to it before, and a message deleted after such a send would be lost.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            await started.Task.WaitAsync(stoppingToken);
        using var client = CreateClient(sqs, aws.Value.Region);
        await Task.WhenAll(Enumerable.Range(0, sqs.ConcurrentReceives)
            .Select(_ => Task.Run(() => PollAsync(client, sqs, stoppingToken), stoppingToken)));
    }

    private async Task PollAsync(IAmazonSQS client, SqsSourceOptions sqs, CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var messages = await ReceiveAsync(client, sqs, sqs.WaitTimeSeconds, ct);
                // A full receive means more are waiting: gather them (without waiting) into one send.
                for (var last = messages.Count; last == 10 && messages.Count + 10 <= sqs.MaxMessagesPerSend;)
                {
                    var more = await ReceiveAsync(client, sqs, 0, ct);
                    messages.AddRange(more);
                    last = more.Count;
                }
                if (messages.Count > 0)
                    await HandleAsync(client, sqs.QueueUrl!, messages, ct);
                backoff = TimeSpan.FromSeconds(1);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogReceiveFailed(e, backoff.TotalSeconds);
                await Task.Delay(backoff, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromSeconds(Math.Min(backoff.TotalSeconds * 2, 60));
            }
        }
    }

    private static async Task<List<Message>> ReceiveAsync(IAmazonSQS client, SqsSourceOptions sqs, int waitSeconds, CancellationToken ct) =>
        (await client.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = sqs.QueueUrl,
            MaxNumberOfMessages = 10,
            WaitTimeSeconds = waitSeconds,
        }, ct)).Messages ?? [];

    private async Task HandleAsync(IAmazonSQS client, string queueUrl, List<Message> messages, CancellationToken ct)
    {
        var all = new EcsEventBatch();
        var done = new List<Message>();
        foreach (var message in messages)
        {
            var batch = parser.Parse(Encoding.UTF8.GetBytes(message.Body ?? ""));
            if (!batch.IsValid)
            {
                var reason = string.Join(" ", batch.Errors.Select(e => e.Message));
                LogUnparseable(message.MessageId, reason);
                // Counted and reported once, however often it is received before the redrive policy moves it.
                await deadLetters.ReportAsync(queueUrl[(queueUrl.LastIndexOf('/') + 1)..], $"{queueUrl} (then its dead-letter queue)", "EventBridge event",
                    message.MessageId, 1, reason);
                continue;
            }
            all.Add(batch);
            done.Add(message);
        }
        if (done.Count == 0)
            return;

        LogSending(done.Count, all.Accepted);
        await sender.SendAsync(all, ct);
        var failures = 0;
        foreach (var chunk in done.Chunk(10))
        {
            var deleted = await client.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
            {
                QueueUrl = queueUrl,
                Entries = chunk.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(), m.ReceiptHandle)).ToList(),
            }, ct);
            if (deleted.Failed is { Count: > 0 } failed)
            {
                failures += failed.Count;
                LogDeleteFailed(failed.Count, failed[0].Message);
            }
        }
        // The ids are joined only when someone reads them: this runs for every batch.
        if (logger.IsEnabled(LogLevel.Debug))
            LogDeleted(done.Count - failures, all.Accepted, string.Join(",", done.Select(m => m.MessageId)));
    }

    /// <summary>The queue's region is its own setting, else the platform's <c>Aws:Region</c>.</summary>
    private static AmazonSQSClient CreateClient(SqsSourceOptions sqs, string? awsRegion)
    {
        var config = new AmazonSQSConfig();
        var region = string.IsNullOrWhiteSpace(sqs.Region) ? awsRegion : sqs.Region;
        if (!string.IsNullOrWhiteSpace(region))
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        if (!string.IsNullOrWhiteSpace(sqs.ServiceUrl))
        {
            config.ServiceURL = sqs.ServiceUrl;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        return new AmazonSQSClient(config);
    }

    [LoggerMessage(LogLevel.Warning, "SQS message {MessageId} cannot be parsed and stays in the queue for its redrive policy: {Reason}")]
    private partial void LogUnparseable(string messageId, string reason);

    [LoggerMessage(LogLevel.Debug, "Sending the {Events} event(s) of {Count} SQS message(s) to history")]
    private partial void LogSending(int count, int events);

    [LoggerMessage(LogLevel.Debug, "Deleted {Count} SQS message(s) whose {Events} event(s) were sent: {MessageIds}")]
    private partial void LogDeleted(int count, int events, string messageIds);

    [LoggerMessage(LogLevel.Warning, "Receiving from SQS failed; trying again in {Seconds} s")]
    private partial void LogReceiveFailed(Exception e, double seconds);

    [LoggerMessage(LogLevel.Warning, "Deleting {Count} published SQS message(s) failed ({Reason}); they will be received and published again, and history drops the duplicates")]
    private partial void LogDeleteFailed(int count, string reason);
}
