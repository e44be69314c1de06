namespace Platform.Contracts.Bus;

/// <summary>
/// A message that a service could not handle, after its retries, was moved to the endpoint's error queue (where it
/// waits, whole, to be looked at and moved back). Published once per message moved; dedupe on the MessageId, which is
/// derived from the dead-lettered message's id and the endpoint.
/// </summary>
/// <param name="Items">How many of what it carried were not handled: for history's ECS events, the events that could
/// not be stored (the others of the message were); otherwise 1.</param>
/// <param name="Reason">Why, without the message's content.</param>
public record MessageDeadLettered(
    string Service,
    string Endpoint,
    string MessageType,
    Guid? MessageId,
    int Items,
    string Reason,
    DateTimeOffset At);
