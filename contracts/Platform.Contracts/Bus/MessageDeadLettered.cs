namespace Platform.Contracts.Bus;

/// <summary>
/// A message that a service could not handle was left where it waits, whole, to be looked at: moved, after its
/// retries, to its endpoint's error queue, or (an event from ingest's SQS source that cannot be read) left for that
/// queue's redrive policy. Published once per message; dedupe on the MessageId, which is derived from the message's own
/// id and the endpoint.
/// </summary>
/// <param name="MessageId">The message's own id (MassTransit's, or SQS's).</param>
/// <param name="Items">How many of what it carried were not handled: for history's ECS events, the events that could
/// not be stored (the others of the message were); otherwise 1.</param>
/// <param name="Reason">Why, without the message's content.</param>
/// <param name="WaitsIn">Where it waits: <c>history-ecs-events_error</c>, or the SQS queue (then its DLQ).</param>
public record MessageDeadLettered(
    string Service,
    string Endpoint,
    string MessageType,
    string MessageId,
    int Items,
    string Reason,
    string WaitsIn,
    DateTimeOffset At);
