using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Platform.ServiceDefaults;

/// <summary>Ready only while the service's PostgreSQL answers.</summary>
public sealed class PostgresHealthCheck(Func<string> connectionString) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString());
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("select 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // The message could name the host or user; the type says enough.
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer: " + e.GetType().Name);
        }
    }
}

public static class PostgresHealthCheckExtensions
{
    public static IHealthChecksBuilder AddPostgres(this IHealthChecksBuilder builder, string name, Func<IServiceProvider, string> connectionString) =>
        builder.Add(new HealthCheckRegistration(name, sp => new PostgresHealthCheck(() => connectionString(sp)), HealthStatus.Unhealthy, ["ready"]));
}
