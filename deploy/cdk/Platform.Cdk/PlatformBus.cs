namespace Platform.Cdk;

/// <summary>What one service does on the bus: the queues it consumes, the message types it publishes (their entity names), the queues it sends to.</summary>
public sealed record BusUse(string[] Consumes, string[] Publishes, string[] SendsTo);

/// <summary>
/// The platform's bus on SQS/SNS as the task roles see it: which queue subscribes to which message type's topic
/// (<c>PlatformTopology.Subscriptions</c>, named as the transport names them) and what each service consumes, publishes
/// and sends. PlatformStackTests check that this agrees with the services' own topology.
/// </summary>
public static class PlatformBus
{
    private const string History = "Platform_Contracts_History-";
    private const string Retry = "Platform_Contracts_Retry-";
    private const string DeadLettered = "Platform_Contracts_Bus-MessageDeadLettered";

    public static IReadOnlyList<(string Topic, string Queue)> Subscriptions { get; } =
    [
        (History + "RunFailed", "notifier-run-outcomes"),
        (History + "LaunchFailed", "notifier-run-outcomes"),
        (History + "RunSucceeded", "notifier-run-outcomes"),
        (History + "RunMissed", "notifier-run-outcomes"),
        (History + "RunSlow", "notifier-run-outcomes"),
        (History + "RunLate", "notifier-run-outcomes"),
        (History + "PipelineLate", "notifier-run-outcomes"),
        ("Platform_Contracts_Digest-DigestReady", "notifier-run-outcomes"),
        (History + "LaunchFailed", "retry-run-outcomes"),
        (History + "RunStarted", "retry-run-outcomes"),
        (History + "RunFailed", "retry-run-outcomes"),
        (Retry + "RelaunchScheduled", "notifier-run-outcomes"),
        (Retry + "TaskRelaunched", "notifier-run-outcomes"),
        (Retry + "RelaunchFailed", "notifier-run-outcomes"),
        (Retry + "RetriesExhausted", "notifier-run-outcomes"),
        (Retry + "RelaunchScheduled", "history-retry-decisions"),
        (Retry + "TaskRelaunched", "history-retry-decisions"),
        (Retry + "RelaunchFailed", "history-retry-decisions"),
        (Retry + "RetriesExhausted", "history-retry-decisions"),
        (Retry + "RunTimedOut", "history-retry-decisions"),
        (DeadLettered, "notifier-run-outcomes"),
        (DeadLettered, "history-dead-letters"),
    ];

    public static IReadOnlyDictionary<string, BusUse> Services { get; } = new Dictionary<string, BusUse>
    {
        ["ingest"] = new([], [DeadLettered], ["history-ecs-events"]),
        ["history"] = new(["history-ecs-events", "history-retry-decisions", "history-dead-letters"],
            [.. new[] { "RunFailed", "LaunchFailed", "RunSucceeded", "RunMissed", "RunSlow", "RunLate", "RunStarted", "PipelineLate" }.Select(m => History + m), DeadLettered], []),
        ["notifier"] = new(["notifier-run-outcomes"], [DeadLettered], []),
        ["retry"] = new(["retry-run-outcomes"],
            [.. new[] { "RelaunchScheduled", "TaskRelaunched", "RelaunchFailed", "RetriesExhausted", "RunTimedOut" }.Select(m => Retry + m), DeadLettered], []),
        ["digest"] = new([], ["Platform_Contracts_Digest-DigestReady", DeadLettered], []),
    };

    /// <summary>What the AllInOne host does: all of it.</summary>
    public static BusUse All { get; } = new(
        [.. Services.Values.SelectMany(s => s.Consumes).Distinct()],
        [.. Services.Values.SelectMany(s => s.Publishes).Distinct()],
        [.. Services.Values.SelectMany(s => s.SendsTo).Distinct()]);
}
