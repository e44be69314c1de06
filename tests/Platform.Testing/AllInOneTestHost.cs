using Microsoft.AspNetCore.Hosting;

namespace Platform.Testing;

/// <summary>
/// What tests that run the AllInOne host share: every module on the in-memory bus, each in its own PostgreSQL schema
/// (<c>schema</c>, <c>_n</c>, <c>_r</c>, <c>_d</c>), and ECS at the discard port so nothing is ever launched.
/// </summary>
public static class AllInOneTestHost
{
    private static readonly string[] SchemaSuffixes = ["", "_n", "_r", "_d"];

    /// <summary>The key that opens the reads: history's JSON API (the dashboard's key) and the notifier's.</summary>
    public const string ReadKey = "test-read-key-0123456789";

    /// <summary>This client sends <see cref="ReadKey"/> (or <paramref name="key"/>) in <c>X-Api-Key</c>.</summary>
    public static HttpClient WithReadKey(this HttpClient client, string key = ReadKey)
    {
        client.DefaultRequestHeaders.Remove("X-Api-Key");
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    public static IWebHostBuilder UseAllInOneTestSettings(this IWebHostBuilder builder, string postgres, string schema, string ingestApiKey)
    {
        builder.UseSetting("Bus:Transport", "InMemory");
        builder.UseSetting("Ingest:ApiKey", ingestApiKey);
        // 202 means stored: on a busy test machine history may take longer than the 4 s EventBridge would wait.
        builder.UseSetting("Ingest:BacklogWait", "00:00:30");
        builder.UseSetting("ConnectionStrings:Postgres", postgres);
        builder.UseSetting("History:Schema", schema);
        builder.UseSetting("Notifier:Schema", schema + "_n");
        builder.UseSetting("Retry:Schema", schema + "_r");
        builder.UseSetting("Digest:Schema", schema + "_d");
        builder.UseSetting("Aws:Region", "eu-west-1");
        builder.UseSetting("Aws:ServiceUrl", "http://127.0.0.1:9/");
        builder.UseSetting("Dashboard:AccessKey", ReadKey);
        builder.UseSetting("Dashboard:NotifierApiKey", ReadKey);
        builder.UseSetting("Notifier:ReadApiKey", ReadKey);
        builder.UseSetting("Digest:HistoryApiKey", ReadKey);
        return builder;
    }

    public static async Task DropAllInOneSchemasAsync(this PostgresFixture postgres, string schema)
    {
        foreach (var suffix in SchemaSuffixes)
            await postgres.DropSchemaAsync(schema + suffix);
    }
}
