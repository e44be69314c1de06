using System.Security.Cryptography;
using System.Text;
using JasperFx.Events;

namespace Platform.History.Features.RecordEcsEvents;

/// <summary>
/// Name-based ids (RFC 9562 version 8, from SHA-256), so that the same ECS event or the same run outcome always gets
/// the same stored event id, and the store's unique index turns a redelivery into a no-op.
/// </summary>
public static class DeterministicId
{
    public static Guid ForEcsEvent(string eventBridgeId) => Create("ecs-event:" + eventBridgeId);

    public static Guid ForRunFinished(string runId) => Create("run-finished:" + runId);

    public static Guid ForRunOpened(string runId) => Create("run-opened:" + runId);

    public static Guid ForRunSlow(string runId) => Create("run-slow:" + runId);

    public static Guid ForMissedSlot(string key) => Create("missed-slot:" + key);

    public static Guid ForRetryDecision(string key) => Create("retry-decision:" + key);

    public static Guid ForPipelineSlot(string key) => Create("pipeline-slot:" + key);

    public static Guid ForExecutionLinked(string executionArn) => Create("execution-linked:" + executionArn);

    public static Guid ForAttemptReleased(string runId) => Create("attempt-released:" + runId);

    public static string LaunchRunId(string eventBridgeId) => "launch:" + eventBridgeId;

    private static Guid Create(string name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}

/// <summary>Stored events under their deterministic ids (<see cref="DeterministicId"/>): stored again, the unique index refuses them.</summary>
public static class EventsWithIds
{
    public static IEvent BuildEvent(this Marten.Events.IEventStoreOperations events, object data, Guid id)
    {
        var e = events.BuildEvent(data);
        e.Id = id;
        return e;
    }

    /// <summary>Appends one event under <paramref name="id"/> (not <c>Append(stream, data, id)</c>: Marten's params overload would store the id as an event).</summary>
    public static IEvent AppendWithId(this Marten.Events.IEventStoreOperations events, string stream, object data, Guid id)
    {
        var e = events.BuildEvent(data, id);
        events.Append(stream, e);
        return e;
    }
}
