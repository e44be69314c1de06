namespace Platform.ServiceDefaults;

/// <summary>The queues that commands are sent to, in one place: senders and the consuming endpoints use the same names.</summary>
public static class PlatformTopology
{
    public const string HistoryEcsEvents = "history-ecs-events";

    public static Uri HistoryEcsEventsAddress { get; } = new("queue:" + HistoryEcsEvents);
}
