namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>A receive lease held as a PostgreSQL advisory lock (<see cref="LeaderLease"/>): it ends with its connection.</summary>
public sealed class PostgresReceiveLease(Npgsql.NpgsqlConnection connection) : ISqsReceiveLease
{
    public static async Task<ISqsReceiveLease?> TryAcquireAsync(string connectionString, string key, CancellationToken ct) =>
        await LeaderLease.TryAcquireAsync(connectionString, key, ct) is { } held ? new PostgresReceiveLease(held) : null;

    public async Task<bool> IsHeldAsync(CancellationToken ct)
    {
        try
        {
            await LeaderLease.EnsureHeldAsync(connection, ct);
            return true;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
