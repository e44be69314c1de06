namespace Platform.Contracts.Ingest;

/// <summary>
/// The ECS events of one ingest request (or SQS receive), normalized. Ingest sends many events per message
/// because a message per event caps throughput at the broker's round trips.
/// </summary>
public record EcsEventsReceived(
    IReadOnlyList<TaskStateChanged> TaskStateChanges,
    IReadOnlyList<TaskLaunchFailed> LaunchFailures)
{
    public int Count => TaskStateChanges.Count + LaunchFailures.Count;
}
