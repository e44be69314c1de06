using Marten;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.History;

/// <summary>Ready only while the event store's database answers.</summary>
public sealed class PostgresHealthCheck(IDocumentStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var session = store.QuerySession();
            await session.QueryAsync<int>("select 1", cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer: " + e.GetType().Name);
        }
    }
}
