using MassTransit;
using Platform.ServiceDefaults;

namespace Platform.History.Features.RecordEcsEvents;

/// <summary>
/// Hands each message to history's group commit (one per process; one active process per queue), and acknowledges
/// it once the write that held it committed.
/// </summary>
public sealed class RecordEcsEventsConsumer(GroupCommit<Contracts.Ingest.RecordEcsEvents> writer) : IConsumer<Contracts.Ingest.RecordEcsEvents>
{
    public Task Consume(ConsumeContext<Contracts.Ingest.RecordEcsEvents> context) => writer.WriteAsync(context.Message, context.CancellationToken);
}

public sealed class RecordEcsEventsConsumerDefinition : ConsumerDefinition<RecordEcsEventsConsumer>
{
    /// <summary>
    /// About 1,600 events per session: enough to spread a commit's fixed cost; more would only hold more messages in
    /// memory (10 gave 3 % fewer events/s and about 40 MB less at peak: docs/BENCHMARKS.md).
    /// </summary>
    public const int MaxMessagesPerWrite = 16;

    public RecordEcsEventsConsumerDefinition()
    {
        EndpointName = PlatformTopology.HistoryEcsEvents;
        // A write's worth waiting while another is written.
        ConcurrentMessageLimit = MaxMessagesPerWrite * 2;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<RecordEcsEventsConsumer> consumer, IRegistrationContext context)
    {
        endpoint.PrefetchCount = MaxMessagesPerWrite * 3;
        endpoint.AddDeserializer(new RecordEcsEventsDeserializer());
        // One writer at a time, across every history instance: RabbitMQ hands the queue to a single active consumer
        // (the others stand by), and that consumer's group commit writes one batch at a time. Concurrent writers
        // would only make batches that touch the same tasks conflict and retry.
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            rabbit.SingleActiveConsumer = true;
    }
}
