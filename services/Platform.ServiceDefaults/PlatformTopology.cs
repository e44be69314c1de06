namespace Platform.ServiceDefaults;

/// <summary>The queues that commands are sent to, in one place: senders and the consuming endpoints use the same names.</summary>
public static class PlatformTopology
{
    public const string HistoryEcsEvents = "history-ecs-events";

    /// <summary>
    /// The consumer's queue arguments are part of the address: whoever declares the queue first (a sender, in a fresh
    /// deployment) declares it as history's endpoint does, or RabbitMQ refuses the other's declaration.
    /// </summary>
    public static Uri HistoryEcsEventsAddress { get; } = new("queue:" + HistoryEcsEvents + "?singleactiveconsumer=true");
}
