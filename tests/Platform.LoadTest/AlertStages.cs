using System.Collections.Concurrent;
using Npgsql;

namespace Platform.LoadTest;

/// <summary>
/// Splits each probe's latency at the stores' own timestamps: history committed the run's outcome, the notifier
/// stored the delivery, the stand-in Slack received it. Shows which stage a slow alert spent its time in.
/// </summary>
public static class AlertStages
{
    public static async Task ReportAsync(string postgres, string historySchema, string notifierSchema, DateTimeOffset wallStart,
        IReadOnlyDictionary<string, long> postedAt, ConcurrentDictionary<string, long> arrivals, CancellationToken ct)
    {
        await using var db = NpgsqlDataSource.Create(postgres);
        var finished = await TimesAsync(db,
            $"select data->>'job', timestamp from {historySchema}.mt_events where type = 'run_finished' and data->>'job' like '{AlertLatency.ProbePrefix}%'", ct);
        var delivered = await TimesAsync(db,
            $"select data->>'job', (data->>'createdAt')::timestamptz from {notifierSchema}.mt_doc_delivery where data->>'job' like '{AlertLatency.ProbePrefix}%'", ct);

        var stages = postedAt.Where(p => arrivals.ContainsKey(p.Key) && finished.ContainsKey(p.Key) && delivered.ContainsKey(p.Key))
            .Select(p =>
            {
                var stored = (finished[p.Key] - wallStart).TotalMilliseconds;
                var queued = (delivered[p.Key] - wallStart).TotalMilliseconds;
                return (Job: p.Key, Stored: stored - p.Value, Published: queued - stored, Sent: arrivals[p.Key] - queued, Total: (double)(arrivals[p.Key] - p.Value));
            })
            .ToList();
        if (stages.Count == 0)
            return;
        Console.WriteLine($"stages over {stages.Count} alerts (p50 / p99 / max, ms):");
        Print("  POST → outcome committed by history", stages.Select(s => s.Stored));
        Print("  committed → delivery stored by the notifier", stages.Select(s => s.Published));
        Print("  delivery stored → Slack request", stages.Select(s => s.Sent));
        foreach (var slow in stages.OrderByDescending(s => s.Total).Take(3))
            Console.WriteLine($"  slowest: {slow.Job} {slow.Total:N0} ms = {slow.Stored:N0} + {slow.Published:N0} + {slow.Sent:N0}");
    }

    private static void Print(string stage, IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        Console.WriteLine($"{stage}: {Percentile.Of(sorted, 0.50):N0} / {Percentile.Of(sorted, 0.99):N0} / {sorted[^1]:N0}");
    }

    private static async Task<Dictionary<string, DateTimeOffset>> TimesAsync(NpgsqlDataSource db, string sql, CancellationToken ct)
    {
        var times = new Dictionary<string, DateTimeOffset>();
        await using var command = db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            times.TryAdd(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1));
        return times;
    }
}
