using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.Testing;
using Xunit;

namespace Platform.ServiceDefaults.Tests;

/// <summary>On AWS the database password is a secret of its own (Postgres__Password) and the connection string is not.</summary>
public class PostgresPasswordTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task A_password_given_apart_goes_into_the_connection_string_and_it_connects()
    {
        var full = new NpgsqlConnectionStringBuilder(postgres.ConnectionString);
        var password = full.Password!;
        full.Password = null;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = full.ConnectionString,
            ["Postgres:Password"] = password,
        });

        builder.AddServiceDefaults();

        await using var connection = new NpgsqlConnection(builder.Configuration.GetConnectionString("Postgres"));
        await connection.OpenAsync();
        Assert.Equal(1, await new NpgsqlCommand("select 1", connection).ExecuteScalarAsync());
    }
}
