using Platform.Contracts.Ingest;

namespace Platform.ServiceDefaults;

/// <summary>
/// Who consumes what, in one place. RabbitMQ drops a message published to an exchange with no bound queue, and in a
/// fresh deployment a publisher can start before its consumers ever ran; so publishers declare and bind the
/// subscribers' queues on first publish, and the consumers' endpoints use the same names.
/// </summary>
public static class PlatformTopology
{
    public const string HistoryEcsEvents = "history-ecs-events";

    public static IReadOnlyList<(Type Message, string Queue)> Subscriptions { get; } =
    [
        (typeof(EcsEventsReceived), HistoryEcsEvents),
    ];
}
