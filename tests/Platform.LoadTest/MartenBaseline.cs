using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using JasperFx;
using JasperFx.Events;
using Marten;
using Npgsql;
using Weasel.Core;

namespace Platform.LoadTest;

/// <summary>The same events as in the run, as they arrived (detail included).</summary>
public sealed record RawEcsEvent(string Id, string DetailType, JsonElement Detail);

/// <summary>
/// The store's own ceiling, measured in the same run: the unique events appended with Marten as history stores them
/// (one stream per task, quick appends, unique event ids, one writer), in sessions of 1,000, without ingest, the bus,
/// or any folding of runs and summaries. Its events are compressed with lz4, as history's store compresses them.
/// </summary>
public static class MartenBaseline
{
    private const int EventsPerSession = 1_000;

    /// <summary>Events/s, and the CPU each part used while appending (where <see cref="CpuTime"/> can tell).</summary>
    public static async Task<(double EventsPerSecond, CpuUsage? Cpu)> MeasureAsync(IReadOnlyList<JsonObject> events, string connectionString, string schema, CancellationToken ct)
    {
        var unique = events.DistinctBy(e => e["id"]!.GetValue<string>())
            .Select(e => (Stream: e["detail"]?["taskArn"]?.GetValue<string>() ?? e["id"]!.GetValue<string>(),
                Event: new RawEcsEvent(e["id"]!.GetValue<string>(), e["detail-type"]!.GetValue<string>(), JsonSerializer.SerializeToElement(e["detail"]))))
            .ToList();
        await using var store = DocumentStore.For(opts =>
        {
            opts.Connection(connectionString);
            opts.DatabaseSchemaName = schema;
            opts.AutoCreateSchemaObjects = AutoCreate.All;
            opts.UseSystemTextJsonForSerialization(casing: Casing.CamelCase);
            opts.Events.StreamIdentity = StreamIdentity.AsString;
            opts.Events.AppendMode = EventAppendMode.Quick;
            opts.Events.EnableUniqueIndexOnEventId = true;
            opts.Events.UseAdvisoryLockTransaction = true;
            opts.Events.AddEventType<RawEcsEvent>();
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await ExecuteAsync(connectionString, $"ALTER TABLE {schema}.mt_events ALTER COLUMN data SET COMPRESSION lz4", ct);
        try
        {
            var cpu = CpuTime.Available ? CpuTime.Sample() : null;
            var clock = Stopwatch.StartNew();
            foreach (var chunk in unique.Chunk(EventsPerSession))
            {
                await using var session = store.LightweightSession();
                foreach (var stream in chunk.GroupBy(c => c.Stream))
                    session.Events.Append(stream.Key, stream.Select(s => (object)s.Event).ToArray());
                await session.SaveChangesAsync(ct);
            }
            return (unique.Count / clock.Elapsed.TotalSeconds, cpu is null ? null : CpuTime.Sample().Since(cpu));
        }
        finally
        {
            await ExecuteAsync(connectionString, $"DROP SCHEMA IF EXISTS {schema} CASCADE", ct);
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
