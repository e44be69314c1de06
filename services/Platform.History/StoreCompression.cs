using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.History;

/// <summary>
/// Compresses the store's JSON with lz4 instead of PostgreSQL's default pglz: stored events over 2 KB and job
/// summaries (about 8 KB of JSON, rewritten with every batch that finishes one of the job's runs) are compressed on
/// every write and decompressed on every read, and lz4 does both several times faster (docs/BENCHMARKS.md: about
/// 5 % more events/s). Applied once per column, after Marten created the tables; a server without lz4 keeps pglz.
/// </summary>
public sealed partial class StoreCompression(IOptions<HistoryOptions> options, ILogger<StoreCompression> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(options.Value.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("""
                SELECT format('ALTER TABLE %I.%I ALTER COLUMN %I SET COMPRESSION lz4', n.nspname, c.relname, a.attname)
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND c.relkind = 'r' AND a.atttypid = 'jsonb'::regtype AND a.attcompression <> 'l' AND NOT a.attisdropped
                """, connection);
            command.Parameters.AddWithValue(options.Value.Schema);
            var statements = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                while (await reader.ReadAsync(cancellationToken))
                    statements.Add(reader.GetString(0));
            foreach (var statement in statements)
            {
                await using var alter = new NpgsqlCommand(statement, connection);
                await alter.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        catch (NpgsqlException e)
        {
            LogNotApplied(e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Warning, "The store keeps PostgreSQL's default compression (pglz), lz4 could not be set: {Reason}")]
    private partial void LogNotApplied(string reason);
}
