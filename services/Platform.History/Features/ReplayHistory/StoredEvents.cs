using System.Runtime.CompilerServices;
using JasperFx.Events;
using Marten;

namespace Platform.History.Features.ReplayHistory;

public static class StoredEvents
{
    /// <summary>Every stored event in store order (the order recording committed them), a page at a time.</summary>
    public static async IAsyncEnumerable<IReadOnlyList<IEvent>> ReadAllAsync(IQuerySession session, int pageSize,
        [EnumeratorCancellation] CancellationToken ct)
    {
        long last = 0;
        while (true)
        {
            var page = await session.Events.QueryAllRawEvents()
                .Where(e => e.Sequence > last)
                .OrderBy(e => e.Sequence)
                .Take(pageSize)
                .ToListAsync(ct);
            if (page.Count == 0)
                yield break;
            yield return page;
            last = page[^1].Sequence;
        }
    }
}
