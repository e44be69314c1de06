using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts.Ingest;
using Platform.ServiceDefaults;

namespace Platform.Ingest.Features.NormalizeEcsEvents;

/// <summary>How a send ended: stored, or why not (yet).</summary>
public enum SendOutcome
{
    /// <summary>Stored by history (in one process), or in the broker's durable queue (RabbitMQ's confirms).</summary>
    Stored,

    /// <summary>History's in-memory queue had no room: nothing was sent.</summary>
    NoRoom,

    /// <summary>Sent, but history had not stored it yet when the wait ended: it will be, and a repeat is dropped as a duplicate.</summary>
    NotStoredYet,

    /// <summary>History could not store it: it went to the error queue (and was reported).</summary>
    NotStored,
}

/// <summary>
/// Sends normalized events to history as few messages, all in flight at once. "Accepted" means stored: over RabbitMQ
/// it returns when the broker confirmed them (its queue is durable); on the in-memory bus (AllInOne), when history
/// committed them, so a crash after a 202 or an SQS delete loses nothing.
/// </summary>
public sealed class EcsEventsSender(IBus bus, InMemoryBacklog backlog, IOptions<IngestOptions> options, TimeProvider clock)
{
    /// <summary>
    /// Sends and returns once stored, however long that takes (SQS and imports wait; their source keeps the rest, and
    /// an SQS message is deleted only after this returned); throws when history could not store them.
    /// </summary>
    public async Task SendAsync(EcsEventBatch batch, CancellationToken ct)
    {
        var outcome = await TrySendAsync(batch, Timeout.InfiniteTimeSpan, ct);
        if (outcome != SendOutcome.Stored)
            throw new InvalidOperationException($"History did not store these events ({outcome}); the ones it could not store wait in its error queue.");
    }

    /// <summary>Sends, waiting at most <paramref name="maxWait"/> for room in history's queue and for history to store them.</summary>
    public async Task<SendOutcome> TrySendAsync(EcsEventBatch batch, TimeSpan maxWait, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        if (!await backlog.WaitForRoomAsync(PlatformTopology.HistoryEcsEvents, maxWait, ct))
            return SendOutcome.NoRoom;
        var (count, bytes) = (options.Value.MaxEventsPerMessage, options.Value.MaxBytesPerMessage);
        var replayed = batch.Replayed;
        var messages = Chunk(batch.TaskStateChanges, count, bytes).Select(c => new RecordEcsEvents(c, [], [], replayed))
            .Concat(Chunk(batch.LaunchFailures, count, bytes).Select(f => new RecordEcsEvents([], f, [], replayed)))
            .Concat(Chunk(batch.LaunchRequests, count, bytes).Select(r => new RecordEcsEvents([], [], r, replayed)))
            .Concat(Chunk(batch.ExecutionChanges, count, bytes).Select(e => new RecordEcsEvents([], [], [], replayed, e)))
            .Select(m => (Id: NewId.NextGuid(), Message: m)).ToList();
        // Known before they are sent: one may be handled before the last is sent.
        var handled = backlog.WhenHandled([.. messages.Select(m => m.Id)]);
        var history = await bus.GetSendEndpoint(PlatformTopology.HistoryEcsEventsAddress);
        await Task.WhenAll(messages.Select(m => history.Send(m.Message, c => c.MessageId = m.Id, ct)));
        if (handled is null)
            return SendOutcome.Stored;
        // Timeout.InfiniteTimeSpan is -1 ms: it must not be taken for time already spent.
        var left = maxWait == Timeout.InfiniteTimeSpan
            ? Timeout.InfiniteTimeSpan
            : TimeSpan.FromTicks(Math.Max(0, (maxWait - clock.GetElapsedTime(started)).Ticks));
        try
        {
            return await handled.WaitAsync(left, clock, ct) ? SendOutcome.Stored : SendOutcome.NotStored;
        }
        catch (TimeoutException)
        {
            return SendOutcome.NotStoredYet;
        }
    }

    /// <summary>
    /// Consecutive runs of at most <paramref name="maxCount"/> items and <paramref name="maxBytes"/> of JSON (counted with
    /// every non-ASCII character escaped, so never less than the bus writes); an item larger than that goes alone.
    /// </summary>
    public static IEnumerable<T[]> Chunk<T>(IReadOnlyList<T> items, int maxCount, int maxBytes)
    {
        var chunk = new List<T>();
        var bytes = 0;
        foreach (var item in items)
        {
            var size = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(item).Length + 1;
            if (chunk.Count > 0 && (chunk.Count == maxCount || bytes + size > maxBytes))
            {
                yield return [.. chunk];
                chunk.Clear();
                bytes = 0;
            }
            chunk.Add(item);
            bytes += size;
        }
        if (chunk.Count > 0)
            yield return [.. chunk];
    }
}
