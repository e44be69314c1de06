using Marten;
using MassTransit;
using Platform.Contracts.Bus;

namespace Platform.History.Features.KeepDeadLetters;

/// <summary>A message some service moved to an error queue (its id: the report's MessageId, so a redelivery is stored once).</summary>
public sealed record DeadLetter(Guid Id, string Service, string Endpoint, string MessageType, int Items, string Reason, DateTimeOffset At);

/// <summary>What the dashboard shows of them: how many items wait in error queues, and the newest reason.</summary>
public sealed record DeadLetterTotals(int Messages, int Items, DeadLetter? Newest)
{
    public static async Task<DeadLetterTotals> LoadAsync(IQuerySession session, CancellationToken ct)
    {
        var messages = await session.Query<DeadLetter>().CountAsync(ct);
        if (messages == 0)
            return new DeadLetterTotals(0, 0, null);
        var items = await session.Query<DeadLetter>().SumAsync(d => d.Items, ct);
        var newest = await session.Query<DeadLetter>().OrderByDescending(d => d.At).FirstOrDefaultAsync(ct);
        return new DeadLetterTotals(messages, items, newest);
    }
}

public sealed class MessageDeadLetteredConsumer(IDocumentStore store) : IConsumer<MessageDeadLettered>
{
    public async Task Consume(ConsumeContext<MessageDeadLettered> context)
    {
        var m = context.Message;
        await using var session = store.LightweightSession();
        // Stored under the report's id: a report delivered twice is one dead letter.
        session.Store(new DeadLetter(context.MessageId ?? NewId.NextGuid(), m.Service, m.Endpoint, m.MessageType, m.Items, m.Reason, m.At));
        await session.SaveChangesAsync(context.CancellationToken);
    }
}
