using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Platform.ServiceDefaults;

/// <summary>
/// Declares the platform's subscriptions on RabbitMQ before the bus starts, the way MassTransit lays them out
/// (message-type exchange → queue-named exchange → queue, all fanout and durable), so that no service has to wait for
/// another to have run once before its published events are kept.
/// </summary>
public sealed partial class RabbitMqTopology(IOptions<BusOptions> options, ILogger<RabbitMqTopology> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri(options.Value.RabbitMqUri!.Replace("rabbitmq://", "amqp://")) };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await factory.CreateConnectionAsync("platform-topology", cancellationToken);
                await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                foreach (var (message, queue) in PlatformTopology.Subscriptions)
                {
                    var messageExchange = $"{message.Namespace}:{message.Name}";
                    await channel.ExchangeDeclareAsync(messageExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
                    await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
                    await channel.ExchangeBindAsync(queue, messageExchange, "", cancellationToken: cancellationToken);
                    var arguments = PlatformTopology.SingleActiveConsumerQueues.Contains(queue)
                        ? new Dictionary<string, object?> { ["x-single-active-consumer"] = true }
                        : null;
                    await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
                    await channel.QueueBindAsync(queue, queue, "", cancellationToken: cancellationToken);
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

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Warning, "Declaring the platform's RabbitMQ subscriptions failed (attempt {Attempt}): {Reason}")]
    private partial void LogRetrying(int attempt, string reason);
}
