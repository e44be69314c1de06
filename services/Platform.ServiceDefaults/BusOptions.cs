using System.ComponentModel.DataAnnotations;

namespace Platform.ServiceDefaults;

public enum BusTransport
{
    InMemory,
    RabbitMq,
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

    /// <summary>Set from <c>ConnectionStrings:RabbitMq</c>.</summary>
    public string? RabbitMqUri { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Transport != BusTransport.RabbitMq)
            yield break;
        if (string.IsNullOrWhiteSpace(RabbitMqUri))
            yield return new ValidationResult("ConnectionStrings:RabbitMq is required when Bus:Transport is RabbitMq.", [nameof(RabbitMqUri)]);
        else if (!Uri.TryCreate(RabbitMqUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps" or "rabbitmq" or "rabbitmqs"))
            yield return new ValidationResult("ConnectionStrings:RabbitMq must be an amqp:// or amqps:// URI.", [nameof(RabbitMqUri)]);
    }
}
