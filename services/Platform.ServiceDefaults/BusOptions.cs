using System.ComponentModel.DataAnnotations;
using Platform.ServiceDefaults.AmazonSqs;

namespace Platform.ServiceDefaults;

public enum BusTransport
{
    InMemory,
    RabbitMq,
    AmazonSqs,
}

public sealed class BusOptions : IPlatformOptions, IValidatableObject
{
    public static string SectionName => "Bus";

    public BusTransport Transport { get; set; } = BusTransport.RabbitMq;

    /// <summary>How many messages a RabbitMQ endpoint may hold unacknowledged.</summary>
    [Range(1, 10_000)]
    public int PrefetchCount { get; set; } = 256;

    /// <summary>
    /// In-memory bus only: how many messages ingest may have sent to history and not yet seen stored before it waits.
    /// </summary>
    [Range(1, 100_000)]
    public int InMemoryQueueLimit { get; set; } = 100;

    /// <summary>
    /// The waits between a failed message's attempts before it is moved to its error queue (and reported):
    /// 50 ms, 200 ms, 1 s, 5 s, 15 s by default.
    /// </summary>
    public List<TimeSpan> RetryIntervals { get; set; } = [];

    public IReadOnlyList<TimeSpan> Retries => RetryIntervals.Count > 0
        ? RetryIntervals
        : [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)];

    /// <summary>Queues and topics when <see cref="Transport"/> is <c>AmazonSqs</c>.</summary>
    public AmazonSqsOptions AmazonSqs { get; set; } = new();

    /// <summary>Set from <c>ConnectionStrings:RabbitMq</c>.</summary>
    public string? RabbitMqUri { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RetryIntervals.Count > 10 || RetryIntervals.Any(i => i < TimeSpan.Zero || i > TimeSpan.FromMinutes(5)))
            yield return new ValidationResult("Bus:RetryIntervals: at most 10 waits, each between 0 and 5 minutes.", [nameof(RetryIntervals)]);
        if (Transport == BusTransport.AmazonSqs && AmazonSqs.Region is null && AmazonSqs.ServiceUrl is null)
            yield return new ValidationResult("Bus:AmazonSqs:Region is required when Bus:Transport is AmazonSqs (or Bus:AmazonSqs:ServiceUrl for an emulator).", [nameof(AmazonSqs)]);
        if (Transport != BusTransport.RabbitMq)
            yield break;
        if (string.IsNullOrWhiteSpace(RabbitMqUri))
            yield return new ValidationResult("ConnectionStrings:RabbitMq is required when Bus:Transport is RabbitMq.", [nameof(RabbitMqUri)]);
        else if (!Uri.TryCreate(RabbitMqUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps" or "rabbitmq" or "rabbitmqs"))
            yield return new ValidationResult("ConnectionStrings:RabbitMq must be an amqp:// or amqps:// URI.", [nameof(RabbitMqUri)]);
    }
}
