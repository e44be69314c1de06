using Npgsql;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Store;

[Collection(PostgresCollection.Name)]
public class StoreCompressionTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Events_and_documents_are_compressed_with_lz4_once_history_started()
    {
        await using var app = new HistoryApp(postgres);
        _ = app.Services;

        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT c.relname, a.attcompression::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind = 'r' AND a.atttypid = 'jsonb'::regtype AND NOT a.attisdropped
            """, connection);
        command.Parameters.AddWithValue(app.Schema);
        var columns = new Dictionary<string, string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                columns[reader.GetString(0)] = reader.GetString(1);

        Assert.Contains("mt_events", columns.Keys);
        Assert.Contains("mt_doc_jobsummary", columns.Keys);
        Assert.All(columns, c => Assert.Equal("l", c.Value));
    }
}
