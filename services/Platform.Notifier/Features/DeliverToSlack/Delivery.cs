using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Platform.Notifier.Features.DeliverToSlack;

[JsonConverter(typeof(JsonStringEnumConverter<DeliveryStatus>))]
public enum DeliveryStatus
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("sent")] Sent,
    [JsonStringEnumMemberName("grouped")] Grouped,
    [JsonStringEnumMemberName("silenced")] Silenced,
    [JsonStringEnumMemberName("failed")] Failed,
}

[JsonConverter(typeof(JsonStringEnumConverter<DeliveryKind>))]
public enum DeliveryKind
{
    [JsonStringEnumMemberName("alert")] Alert,
    [JsonStringEnumMemberName("thread-update")] ThreadUpdate,
    [JsonStringEnumMemberName("reminder")] Reminder,
    [JsonStringEnumMemberName("recovery")] Recovery,
    [JsonStringEnumMemberName("grouped")] Grouped,
    [JsonStringEnumMemberName("digest")] Digest,
}

/// <summary>
/// One message for one route, stored before it is sent, so a restart, a crash or Slack being down loses nothing.
/// Deliveries to one route are sent in <see cref="Sequence"/> order. Never holds the webhook URL or token: the
/// route's name is resolved against the config when sending.
/// </summary>
public sealed record Delivery
{
    public required Guid Id { get; init; }
    public required string Route { get; init; }
    public required string Job { get; init; }
    public required DeliveryKind Kind { get; init; }
    public required long Sequence { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string Text { get; init; }
    public required JsonArray Blocks { get; init; }
    public required string Summary { get; init; }

    /// <summary>The integration event this delivery answers (its MessageId).</summary>
    public Guid? SourceMessageId { get; init; }

    /// <summary>For replies: the delivery whose Slack message starts the thread.</summary>
    public Guid? ThreadRootId { get; init; }

    public DeliveryStatus Status { get; init; } = DeliveryStatus.Pending;
    public int Attempts { get; init; }
    public DateTimeOffset NextAttemptAt { get; init; }
    public DateTimeOffset? SentAt { get; init; }
    public string? LastError { get; init; }

    /// <summary>Slack's <c>ts</c> of the posted message (bot tokens only), which replies thread under.</summary>
    public string? SlackTs { get; init; }

    /// <summary>
    /// Slack refused the blocks once (<c>invalid_blocks</c>, a limit): the one retry sends the text alone, so the alert
    /// still arrives.
    /// </summary>
    public bool PlainText { get; init; }

    /// <summary>For grouped alerts: the delivery that carried them.</summary>
    public Guid? GroupedInto { get; init; }
}
