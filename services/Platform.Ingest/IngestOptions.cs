using System.ComponentModel.DataAnnotations;
using Platform.ServiceDefaults;

namespace Platform.Ingest;

public sealed class IngestOptions : IPlatformOptions
{
    public static string SectionName => "Ingest";

    /// <summary>The key that <c>POST /events</c> requires in <c>X-Api-Key</c>.</summary>
    [Required(ErrorMessage = "Ingest:ApiKey is required (set Ingest__ApiKey).")]
    [MinLength(16, ErrorMessage = "Ingest:ApiKey must be at least 16 characters.")]
    public string ApiKey { get; set; } = "";

    /// <summary>Tasks of ECS services (group <c>service:…</c>) are stopped constantly by deployments and scaling.</summary>
    public bool IncludeServiceTasks { get; set; }

    /// <summary>Events per bus message: fewer, larger messages are what makes ingest fast.</summary>
    [Range(1, 1_000)]
    public int MaxEventsPerMessage { get; set; } = 100;

    /// <summary>
    /// Bytes of events per bus message, as JSON: SQS and SNS take at most 256 KiB per message, envelope included, so a
    /// request's events are split by size as well as by count (never dropped). 192 KiB leaves room for the envelope.
    /// </summary>
    [Range(16 * 1024, 240 * 1024)]
    public int MaxBytesPerMessage { get; set; } = 192 * 1024;

    /// <summary>
    /// In-memory bus only: how long <c>POST /events</c> waits for room in history's queue (<c>Bus:InMemoryQueueLimit</c>)
    /// and for history to store its events before answering 503, which EventBridge retries. Its API destinations give up
    /// on a request after 5 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan BacklogWait { get; set; } = TimeSpan.FromSeconds(4);

    public SqsSourceOptions Sqs { get; set; } = new();
}

public sealed class SqsSourceOptions
{
    /// <summary>When set, events are also read from this queue (an EventBridge rule's SQS target).</summary>
    public string? QueueUrl { get; set; }

    /// <summary>Endpoint override, e.g. a local SQS emulator.</summary>
    public string? ServiceUrl { get; set; }

    public string? Region { get; set; }

    [Range(1, 20)]
    public int WaitTimeSeconds { get; set; } = 20;

    [Range(1, 16)]
    public int ConcurrentReceives { get; set; } = 2;

    /// <summary>
    /// While receives come back full (10 messages: more are waiting), a poller receives again at once, up to this many
    /// messages, and sends them to history together: on the SQS bus a send is a request, so a burst of EventBridge
    /// events costs a tenth of the sends. A receive that is not full ends the gathering, so a lone event waits for nothing.
    /// </summary>
    [Range(10, 500)]
    public int MaxMessagesPerSend { get; set; } = 100;
}
