using Npgsql;
using Testcontainers.PostgreSql;
using Xunit;

namespace Platform.Testing;

/// <summary>
/// A real PostgreSQL: the one <c>PLATFORM_TEST_POSTGRES</c> names (CI starts one), or else a Testcontainers
/// container where a Docker engine is usable. Each test class gets its own schema, so tests never see each other's data.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string EnvironmentVariable = "PLATFORM_TEST_POSTGRES";
    private PostgreSqlContainer? container;

    public string ConnectionString { get; private set; } = "";

    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..16];

    public async Task InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            ConnectionString = given;
        }
        else
        {
            try
            {
                container = new PostgreSqlBuilder("postgres:15").Build();
                await container.StartAsync();
                ConnectionString = container.GetConnectionString();
            }
            catch (Exception e)
            {
                throw new InvalidOperationException(
                    $"These tests need PostgreSQL: set {EnvironmentVariable} to a connection string (bash .ci/run does), or make a Docker engine available for Testcontainers. {e.Message}", e);
            }
        }
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
    }

    public async Task DropSchemaAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (container is not null)
            await container.DisposeAsync();
    }
}
