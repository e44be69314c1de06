using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>
/// Declares the platform's subscriptions on SQS and SNS before the bus starts (every queue of
/// <see cref="PlatformTopology.Subscriptions"/> with its error and dead-letter queues, policy and subscriptions), as
/// <see cref="RabbitMqTopology"/> does on RabbitMQ: an outcome published before its consumer first ran waits for it.
/// </summary>
public sealed partial class AmazonSqsTopology(SqsConnection connection, ILogger<AmazonSqsTopology> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                foreach (var subscriptions in PlatformTopology.Subscriptions.GroupBy(s => s.Queue))
                {
                    var queue = await connection.Entities.ReceiveQueueAsync(connection.Names.Queue(subscriptions.Key), cancellationToken);
                    await connection.Entities.SubscribeAsync(queue, [.. subscriptions.Select(s => connection.Names.Topic(s.Message))], cancellationToken);
                }
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException && attempt < 10)
            {
                LogRetrying(attempt, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, attempt * 2)), cancellationToken);
            }
        }
    }

    /// <summary>What the bus cost this process in AWS requests (the bill is per request), when it stops.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        var counts = connection.Counter.Snapshot();
        LogRequests(counts.Values.Sum(), string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}")));
        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Information, "SQS/SNS requests: {Total} ({ByAction})")]
    private partial void LogRequests(long total, string byAction);

    [LoggerMessage(LogLevel.Warning, "Declaring the platform's SQS queues and SNS subscriptions failed (attempt {Attempt}): {Reason}")]
    private partial void LogRetrying(int attempt, string reason);
}

/// <summary>A receive lease held as a PostgreSQL advisory lock (<see cref="LeaderLease"/>): it ends with its connection.</summary>
public sealed class PostgresReceiveLease(Npgsql.NpgsqlConnection connection) : ISqsReceiveLease
{
    public static async Task<ISqsReceiveLease?> TryAcquireAsync(string connectionString, string key, CancellationToken ct) =>
        await LeaderLease.TryAcquireAsync(connectionString, key, ct) is { } held ? new PostgresReceiveLease(held) : null;

    public async Task<bool> IsHeldAsync(CancellationToken ct)
    {
        try
        {
            await using var command = new Npgsql.NpgsqlCommand("select 1", connection);
            await command.ExecuteScalarAsync(ct);
            return true;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
