using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>
/// Counts the transport's SQS and SNS requests (they are what AWS bills), as the <c>platform.bus.aws_requests</c>
/// metric by service and action, and in process for the benchmark and tests.
/// </summary>
public sealed class SqsRequestCounter
{
    private static readonly Meter Meter = new("Platform.Bus.AmazonSqs");
    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("platform.bus.aws_requests", description: "SQS and SNS requests made by the bus");
    private readonly ConcurrentDictionary<string, long> counts = new();

    public void Count(string service, string action)
    {
        counts.AddOrUpdate($"{service}:{action}", 1, (_, n) => n + 1);
        Requests.Add(1, new KeyValuePair<string, object?>("service", service), new KeyValuePair<string, object?>("action", action));
    }

    /// <summary>Requests so far, by <c>service:action</c>.</summary>
    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(counts);
}
