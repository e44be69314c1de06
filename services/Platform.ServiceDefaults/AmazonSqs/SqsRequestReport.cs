using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>
/// What the bus cost this process in AWS requests (the bill is per request), logged when it stops. (Nothing needs
/// declaring at start: a receive endpoint declares its queue and subscriptions, a publisher its subscribers' before its
/// first publish of a type, each only what it uses, so each task role needs only its own queues and topics.)
/// </summary>
public sealed partial class SqsRequestReport(SqsConnection connection, ILogger<SqsRequestReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        var counts = connection.Counter.Snapshot();
        LogRequests(counts.Values.Sum(), string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}")));
        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Information, "SQS/SNS requests: {Total} ({ByAction})")]
    private partial void LogRequests(long total, string byAction);
}
