using Platform.Contracts.Bus;
using Platform.Contracts.Digest;
using Platform.Contracts.History;
using Platform.Contracts.Retry;

namespace Platform.ServiceDefaults;

/// <summary>Queue names and who subscribes to what, in one place: senders, publishers and consuming endpoints use the same names.</summary>
public static class PlatformTopology
{
    public const string HistoryEcsEvents = "history-ecs-events";
    public const string NotifierRunOutcomes = "notifier-run-outcomes";
    public const string RetryRunOutcomes = "retry-run-outcomes";
    public const string HistoryRetryDecisions = "history-retry-decisions";
    public const string HistoryDeadLetters = "history-dead-letters";

    /// <summary>
    /// The consumer's queue arguments are part of the address: whoever declares the queue first (a sender, in a fresh
    /// deployment) declares it as history's endpoint does, or RabbitMQ refuses the other's declaration.
    /// </summary>
    public static Uri HistoryEcsEventsAddress { get; } = new("queue:" + HistoryEcsEvents + "?singleactiveconsumer=true");

    /// <summary>
    /// Published events and the queues that subscribe to them. RabbitMQ drops a message published to an exchange that
    /// no queue is bound to yet, so every service declares these bindings at start (<see cref="RabbitMqTopology"/>):
    /// an outcome published before the notifier first ran waits in the notifier's queue.
    /// </summary>
    public static IReadOnlyList<(Type Message, string Queue)> Subscriptions { get; } =
    [
        (typeof(RunFailed), NotifierRunOutcomes),
        (typeof(LaunchFailed), NotifierRunOutcomes),
        (typeof(RunSucceeded), NotifierRunOutcomes),
        (typeof(RunMissed), NotifierRunOutcomes),
        (typeof(RunSlow), NotifierRunOutcomes),
        (typeof(RunLate), NotifierRunOutcomes),
        (typeof(PipelineLate), NotifierRunOutcomes),
        (typeof(DigestReady), NotifierRunOutcomes),
        (typeof(LaunchFailed), RetryRunOutcomes),
        (typeof(RunStarted), RetryRunOutcomes),
        (typeof(RunFailed), RetryRunOutcomes),
        (typeof(RelaunchScheduled), NotifierRunOutcomes),
        (typeof(TaskRelaunched), NotifierRunOutcomes),
        (typeof(RelaunchFailed), NotifierRunOutcomes),
        (typeof(RetriesExhausted), NotifierRunOutcomes),
        (typeof(RelaunchScheduled), HistoryRetryDecisions),
        (typeof(TaskRelaunched), HistoryRetryDecisions),
        (typeof(RelaunchFailed), HistoryRetryDecisions),
        (typeof(RetriesExhausted), HistoryRetryDecisions),
        (typeof(RunTimedOut), HistoryRetryDecisions),
        (typeof(MessageDeadLettered), NotifierRunOutcomes),
        (typeof(MessageDeadLettered), HistoryDeadLetters),
    ];

    /// <summary>Queues consumed by one instance at a time (RabbitMQ's single active consumer).</summary>
    public static IReadOnlySet<string> SingleActiveConsumerQueues { get; } = new HashSet<string> { HistoryEcsEvents, NotifierRunOutcomes, RetryRunOutcomes };

    /// <summary>
    /// Queues that a sender floods (ingest, with what it accepted): on the in-memory bus their backlog is bounded
    /// (<see cref="InMemoryBacklog"/>).
    /// </summary>
    public static IReadOnlySet<string> BoundedInMemoryQueues { get; } = new HashSet<string> { HistoryEcsEvents };
}
