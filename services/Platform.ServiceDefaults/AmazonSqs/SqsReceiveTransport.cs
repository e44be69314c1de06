using System.Globalization;
using Amazon.SQS.Model;
using MassTransit;
using MassTransit.Transports;
using MassTransit.Util;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>A lease that lets one instance receive from a queue at a time (<see cref="ISqsReceiveEndpointConfigurator.ExclusiveLease"/>).</summary>
public interface ISqsReceiveLease : IAsyncDisposable
{
    /// <summary>Whether it is still held (the connection that holds it still answers).</summary>
    Task<bool> IsHeldAsync(CancellationToken ct);
}

/// <summary>
/// Receives an endpoint's queue: declares it (with error queue, dead-letter queue, policy and subscriptions), then
/// long-polls it in batches of up to 10 while there is room for more messages, hands each to MassTransit's receive pipe,
/// deletes it when handled (batched) and lets a failed one come back after a backoff.
/// </summary>
public sealed class SqsReceiveTransport(SqsReceiveEndpointContext context, SqsReceiveEndpointConfiguration configuration) : IReceiveTransport
{
    public ReceiveTransportHandle Start()
    {
        var connection = context.Connection;
        var queueName = connection.Names.Queue(configuration.QueueName);
        IErrorTransport error = new SqsErrorTransport(connection, SqsEntityNames.Error(queueName));
        context.AddOrUpdatePayload(() => error, _ => error);
        IDeadLetterTransport skipped = new SqsDeadLetterTransport(connection, SqsEntityNames.Skipped(queueName));
        context.AddOrUpdatePayload(() => skipped, _ => skipped);
        return new Receiver(context, configuration, queueName);
    }

    public void Probe(ProbeContext probe)
    {
        var scope = probe.CreateScope("receiveTransport");
        scope.Add("type", "Amazon SQS (Platform)");
        scope.Add("address", context.InputAddress);
    }

    public ConnectHandle ConnectReceiveObserver(IReceiveObserver observer) => context.ConnectReceiveObserver(observer);

    public ConnectHandle ConnectReceiveTransportObserver(IReceiveTransportObserver observer) => context.ConnectReceiveTransportObserver(observer);

    public ConnectHandle ConnectPublishObserver(IPublishObserver observer) => context.ConnectPublishObserver(observer);

    public ConnectHandle ConnectSendObserver(ISendObserver observer) => context.ConnectSendObserver(observer);

    private sealed class Receiver : ConsumerAgent<string>, ReceiveTransportHandle
    {
        private readonly SqsReceiveEndpointContext context;
        private readonly SqsReceiveEndpointConfiguration configuration;
        private readonly SqsConnection connection;
        private readonly string queueName;
        private readonly SemaphoreSlim room;

        public Receiver(SqsReceiveEndpointContext context, SqsReceiveEndpointConfiguration configuration, string queueName)
            : base(context, StringComparer.Ordinal)
        {
            this.context = context;
            this.configuration = configuration;
            this.queueName = queueName;
            connection = context.Connection;
            // Messages waiting for a consumer (one at a time on a single-writer endpoint) keep their visibility extended.
            var capacity = Math.Max(10, context.ConcurrentMessageLimit ?? context.PrefetchCount);
            room = new SemaphoreSlim(capacity, capacity);
            if (configuration.IsBusEndpoint)
            {
                // The bus's own endpoint takes responses only; this transport has no temporary queues for them.
                TrySetManualConsumeTask();
                _ = NotifyReadyAsync();
            }
            else
            {
                TrySetConsumeTask(Task.Run(ConsumeAsync));
            }
        }

        public Task Stop(CancellationToken cancellationToken) => this.Stop("Stop Receive Transport", cancellationToken);

        public void Probe(ProbeContext probe) => probe.CreateScope("amazonSqs").Add("queue", queueName);

        private async Task NotifyReadyAsync()
        {
            await context.TransportObservers.NotifyReady(context.InputAddress).ConfigureAwait(false);
            SetReady();
        }

        private async Task ConsumeAsync()
        {
            SqsQueue queue;
            try
            {
                await context.DependenciesReady.WaitAsync(Stopping).ConfigureAwait(false);
                queue = await DeclareAsync().ConfigureAwait(false);
                await NotifyReadyAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (IsStopping)
            {
                return;
            }
            catch (Exception e)
            {
                SetNotReady(e);
                throw;
            }

            while (!IsStopping)
            {
                ISqsReceiveLease? lease = null;
                try
                {
                    if (configuration.ExclusiveLease is { } acquire)
                    {
                        lease = await acquire(Stopping).ConfigureAwait(false);
                        if (lease is null)
                        {
                            await Task.Delay(TimeSpan.FromSeconds(5), Stopping).ConfigureAwait(false);
                            continue;
                        }
                    }
                    await ReceiveWhileHeldAsync(queue, lease).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (IsStopping)
                {
                    return;
                }
                catch (Exception e)
                {
                    LogContext.Warning?.Log(e, "Receiving from {Queue} failed; trying again", queueName);
                    await Task.Delay(TimeSpan.FromSeconds(2), Stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
                finally
                {
                    if (lease is not null)
                        await lease.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        private async Task<SqsQueue> DeclareAsync()
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var queue = await connection.Entities.ReceiveQueueAsync(queueName, Stopping).ConfigureAwait(false);
                    await connection.Entities.SubscribeAsync(queue, [.. configuration.Topics.Select(connection.Names.Topic)], Stopping).ConfigureAwait(false);
                    return queue;
                }
                catch (Exception e) when (e is not (OperationCanceledException or ObjectDisposedException) && attempt < 30)
                {
                    LogContext.Warning?.Log(e, "Declaring {Queue} failed (attempt {Attempt}); trying again", queueName, attempt);
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, attempt)), Stopping).ConfigureAwait(false);
                }
            }
        }

        private async Task ReceiveWhileHeldAsync(SqsQueue queue, ISqsReceiveLease? lease)
        {
            while (!IsStopping)
            {
                if (lease is not null && !await lease.IsHeldAsync(Stopping).ConfigureAwait(false))
                    return;
                await room.WaitAsync(Stopping).ConfigureAwait(false);
                var taken = 1;
                while (taken < 10 && room.Wait(0))
                    taken++;
                List<Message> messages;
                try
                {
                    messages = await connection.ReceiveAsync(queue, taken, Stopping).ConfigureAwait(false);
                }
                catch
                {
                    room.Release(taken);
                    throw;
                }
                if (taken > messages.Count)
                    room.Release(taken - messages.Count);
                foreach (var message in messages)
                    _ = HandleAsync(queue, message);
            }
        }

        private async Task HandleAsync(SqsQueue queue, Message message)
        {
            var receiveCount = message.Attributes?.TryGetValue("ApproximateReceiveCount", out var count) == true
                && int.TryParse(count, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 1;
            var lockContext = new SqsReceiveLock(connection, queue, message, receiveCount, context.InputAddress);
            var receiveContext = new SqsReceiveContext(message, receiveCount > 1, context);
            try
            {
                await Dispatch(message.MessageId, receiveContext, lockContext).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogContext.Warning?.Log(e, "Message {MessageId} on {Queue} faulted in the transport", message.MessageId, queueName);
            }
            finally
            {
                receiveContext.Dispose();
                room.Release();
            }
        }

        protected override async Task ActiveAndActualAgentsCompleted(StopContext stop)
        {
            await base.ActiveAndActualAgentsCompleted(stop).ConfigureAwait(false);
            await context.TransportObservers.NotifyCompleted(context.InputAddress, this).ConfigureAwait(false);
        }
    }
}

/// <summary>A received message: its body (MassTransit's envelope) and its message attributes as transport headers.</summary>
public sealed class SqsReceiveContext : BaseReceiveContext
{
    private readonly Dictionary<string, object> headers;

    public SqsReceiveContext(Message message, bool redelivered, ReceiveEndpointContext endpoint)
        : base(redelivered, endpoint)
    {
        TransportMessage = message;
        Body = new StringMessageBody(message.Body);
        headers = (message.MessageAttributes ?? []).Where(a => a.Value.StringValue is not null)
            .ToDictionary(a => a.Key, a => (object)a.Value.StringValue, StringComparer.OrdinalIgnoreCase);
    }

    public Message TransportMessage { get; }

    public override MessageBody Body { get; }

    protected override IHeaderProvider HeaderProvider => new DictionaryHeaderProvider(headers);
}

/// <summary>
/// The message stays invisible to other receivers while it is handled (extended every 70 % of the visibility timeout);
/// handled, it is deleted; faulted, it comes back after 5, 10, 20 … s (at most 15 min) by the number of receives.
/// </summary>
public sealed class SqsReceiveLock : ReceiveLockContext
{
    private readonly SqsConnection connection;
    private readonly SqsQueue queue;
    private readonly Message message;
    private readonly int receiveCount;
    private readonly Uri inputAddress;
    private readonly CancellationTokenSource active = new();
    private readonly Task renewing;
    private volatile bool lost;

    public SqsReceiveLock(SqsConnection connection, SqsQueue queue, Message message, int receiveCount, Uri inputAddress)
    {
        this.connection = connection;
        this.queue = queue;
        this.message = message;
        this.receiveCount = receiveCount;
        this.inputAddress = inputAddress;
        renewing = Task.Run(RenewAsync);
    }

    /// <summary>
    /// Queues the delete and returns: the next message need not wait for it, and deletes go 10 to a request. Until
    /// it is done the message stays invisible (its visibility timeout); should it fail, the message comes back and its
    /// consumer, idempotent by message id, handles it as a duplicate.
    /// </summary>
    public async Task Complete()
    {
        await StopRenewingAsync().ConfigureAwait(false);
        _ = connection.DeleteAsync(queue, message.ReceiptHandle, CancellationToken.None).ContinueWith(
            t => LogContext.Warning?.Log(t.Exception!, "Deleting handled message {MessageId} failed; it will be received again", message.MessageId),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    public async Task Faulted(Exception exception)
    {
        await StopRenewingAsync().ConfigureAwait(false);
        try
        {
            var backoff = (int)Math.Min(900, 5 * Math.Pow(2, Math.Min(receiveCount - 1, 10)));
            await connection.ChangeVisibilityAsync(queue, message.ReceiptHandle, backoff, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // It comes back when its visibility timeout ends anyway.
            LogContext.Warning?.Log(e, "Postponing faulted message {MessageId} failed", message.MessageId);
        }
    }

    public Task ValidateLockStatus() =>
        lost ? throw new TransportException(inputAddress, $"The message's receipt is no longer valid: {message.MessageId}") : Task.CompletedTask;

    private async Task StopRenewingAsync()
    {
        await active.CancelAsync().ConfigureAwait(false);
        await renewing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        active.Dispose();
    }

    private async Task RenewAsync()
    {
        var timeout = connection.Options.VisibilityTimeoutSeconds;
        while (!active.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(timeout * 0.7), active.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (active.IsCancellationRequested)
                return;
            try
            {
                await connection.ChangeVisibilityAsync(queue, message.ReceiptHandle, timeout, active.Token).ConfigureAwait(false);
            }
            catch (Amazon.SQS.Model.ReceiptHandleIsInvalidException)
            {
                lost = true;
                return;
            }
            catch (Amazon.SQS.Model.MessageNotInflightException)
            {
                lost = true;
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogContext.Warning?.Log(e, "Extending the visibility of {MessageId} failed", message.MessageId);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
