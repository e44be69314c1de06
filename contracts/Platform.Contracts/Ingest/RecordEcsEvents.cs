namespace Platform.Contracts.Ingest;

/// <summary>
/// Command from ingest to history: record these ECS events (one request's or one SQS receive's worth, normalized).
/// Sent to history's queue rather than published, so a message sent before history first starts waits in the queue
/// instead of vanishing at an exchange with no bound queue. Many events per message, because a message per event
/// caps throughput at the broker's round trips.
/// </summary>
/// <param name="Replayed">The events are history being backfilled (<c>import</c>), not news: they are stored and
/// alerted, but never cause a relaunch or a stop.</param>
/// <param name="ExecutionChanges">Step Functions executions' status changes (absent in messages of older senders).</param>
public record RecordEcsEvents(
    IReadOnlyList<TaskStateChanged> TaskStateChanges,
    IReadOnlyList<TaskLaunchFailed> LaunchFailures,
    IReadOnlyList<TaskLaunchRequested> LaunchRequests,
    bool Replayed = false,
    IReadOnlyList<ExecutionStatusChanged>? ExecutionChanges = null);
