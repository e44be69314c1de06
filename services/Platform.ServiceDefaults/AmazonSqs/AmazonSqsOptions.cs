using System.ComponentModel.DataAnnotations;
using Platform.ServiceDefaults.Aws;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary><c>Bus:AmazonSqs</c>: where the bus's queues and topics are, when <c>Bus:Transport</c> is <c>AmazonSqs</c>.</summary>
public sealed class AmazonSqsOptions : IValidatableObject
{
    [RegularExpression(AwsRegion.Pattern, ErrorMessage = "Bus:AmazonSqs:Region must be an AWS region name such as eu-west-1.")]
    public string? Region { get; set; }

    /// <summary>One endpoint for both SQS and SNS (the emulator in tests and local runs); AWS's own endpoints otherwise.</summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Starts every queue and topic name, so two installations can share an account.</summary>
    [RegularExpression("^[A-Za-z0-9_-]{0,30}$", ErrorMessage = "Bus:AmazonSqs:Prefix: at most 30 letters, digits, '-' or '_'.")]
    public string Prefix { get; set; } = "platform-";

    /// <summary>How long a receive waits for messages (long polling; 20 s, SQS's longest, costs the fewest requests).</summary>
    [Range(0, 20)]
    public int WaitTimeSeconds { get; set; } = 20;

    /// <summary>How long a received message stays hidden before it is extended (while a consumer works) or redelivered.</summary>
    [Range(10, 43_200)]
    public int VisibilityTimeoutSeconds { get; set; } = 60;

    /// <summary>After this many receives a message goes to the queue's <c>_dlq</c> (a consumer that crashes its process every time).</summary>
    [Range(2, 1000)]
    public int MaxReceiveCount { get; set; } = 10;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ServiceUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
            yield return new ValidationResult("Bus:AmazonSqs:ServiceUrl must be an http:// or https:// URL.", [nameof(ServiceUrl)]);
    }

    /// <summary>The region requests are signed for: the emulator accepts any.</summary>
    public string SigningRegion => Region ?? "us-east-1";

    public Uri SnsEndpoint => ServiceUrl ?? new Uri($"https://sns.{Region}.amazonaws.com/");
}
