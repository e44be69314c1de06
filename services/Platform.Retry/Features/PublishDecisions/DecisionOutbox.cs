using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marten;
using MassTransit;

namespace Platform.Retry.Features.PublishDecisions;

/// <summary>
/// A decision's message, stored in the same commit as the decision, under the message id it will be published with
/// (derived from what it is about: <see cref="IdFor"/>), until it is published.
/// </summary>
public sealed record OutboxMessage(Guid Id, string MessageType, JsonElement Body, DateTimeOffset StoredAt);

/// <summary>
/// Retry's decisions reach history and Slack exactly once as consumers that dedupe see them, across a crash between
/// "stored" and "published": each message is stored with its decision (<see cref="Add"/>), published right after the
/// commit with its derived id and then removed, and whatever a crash left behind is published by the leader's next
/// round (<see cref="DrainAsync"/>). A message published twice carries the same id both times.
/// </summary>
public sealed class DecisionOutbox(IRetryStore store, IBus bus, TimeProvider clock)
{
    private static readonly System.Reflection.Assembly Contracts = typeof(Contracts.Retry.RetriesExhausted).Assembly;

    /// <summary>The message id of a decision: the same for the same decision, whoever publishes it and however often.</summary>
    public static Guid IdFor(string decision, string about) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"retry:{decision}:{about}")).AsSpan(0, 16));

    /// <summary>Stores <paramref name="message"/> in <paramref name="session"/>: it is kept if, and only if, the decision is.</summary>
    public OutboxMessage Add(IDocumentSession session, object message, string decision, string about)
    {
        var stored = new OutboxMessage(IdFor(decision, about), message.GetType().FullName!,
            JsonSerializer.SerializeToElement(message, message.GetType()), clock.GetUtcNow());
        session.Store(stored);
        return stored;
    }

    /// <summary>Publishes messages whose decisions are committed, then removes them.</summary>
    public async Task PublishAsync(IReadOnlyCollection<OutboxMessage> messages, CancellationToken ct)
    {
        if (messages.Count == 0)
            return;
        await Task.WhenAll(messages.Select(m =>
        {
            var type = Contracts.GetType(m.MessageType, throwOnError: true)!;
            return bus.Publish(m.Body.Deserialize(type)!, type, c => c.MessageId = m.Id, ct);
        }));
        await using var session = store.LightweightSession();
        foreach (var m in messages)
            session.Delete<OutboxMessage>(m.Id);
        await session.SaveChangesAsync(ct);
    }

    /// <summary>What a crash left stored but unpublished (older than <paramref name="settled"/>, so not one being published now).</summary>
    public async Task DrainAsync(TimeSpan settled, CancellationToken ct)
    {
        IReadOnlyList<OutboxMessage> left;
        await using (var query = store.QuerySession())
        {
            var before = clock.GetUtcNow() - settled;
            left = await query.Query<OutboxMessage>().Where(m => m.StoredAt < before).OrderBy(m => m.StoredAt).Take(100).ToListAsync(ct);
        }
        await PublishAsync([.. left], ct);
    }
}
