using Npgsql;

namespace Platform.ServiceDefaults;

/// <summary>
/// One instance at a time does a piece of work (send deliveries, run relaunches): the holder of a PostgreSQL session
/// advisory lock. The lock goes with the connection, so a dead holder's lease ends when its connection does.
/// </summary>
public static class LeaderLease
{
    /// <summary>The open connection that holds the lease, or null when another instance holds it.</summary>
    public static async Task<NpgsqlConnection?> TryAcquireAsync(string connectionString, string key, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("select pg_try_advisory_lock(hashtext(@key))", connection);
        command.Parameters.AddWithValue("key", key);
        if (await command.ExecuteScalarAsync(ct) is true)
            return connection;
        await connection.DisposeAsync();
        return null;
    }

    /// <summary>
    /// Throws when the connection holding the lease has died (the lock went with it and another instance may hold it
    /// now): the server ended it, or a proxy dropped it, while the pool's other connections still work.
    /// </summary>
    public static async Task EnsureHeldAsync(NpgsqlConnection lease, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("select 1", lease);
        await command.ExecuteScalarAsync(ct);
    }
}
