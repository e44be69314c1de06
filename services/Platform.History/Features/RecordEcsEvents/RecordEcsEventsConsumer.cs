using MassTransit;
using Platform.ServiceDefaults;

namespace Platform.History.Features.RecordEcsEvents;

/// <summary>Hands each message to the group commit, and acknowledges it once the write that held it committed.</summary>
public sealed class RecordEcsEventsConsumer(RecordEcsEventsWriter writer) : IConsumer<Contracts.Ingest.RecordEcsEvents>
{
    public Task Consume(ConsumeContext<Contracts.Ingest.RecordEcsEvents> context) => writer.WriteAsync(context.Message, context.CancellationToken);
}

/// <summary>The single group commit of history's ECS events (one writer per process; one active process per queue).</summary>
public sealed class RecordEcsEventsWriter(EcsEventsRecorder recorder)
{
    /// <summary>About 1,600 events: a commit's worth once the backlog is deep, and within one message's prefetch.</summary>
    public const int MaxMessagesPerWrite = 16;

    private readonly GroupCommit<Contracts.Ingest.RecordEcsEvents> commit = new(recorder.RecordAsync, MaxMessagesPerWrite);

    public Task WriteAsync(Contracts.Ingest.RecordEcsEvents message, CancellationToken ct) => commit.WriteAsync(message, ct);
}

public sealed class RecordEcsEventsConsumerDefinition : ConsumerDefinition<RecordEcsEventsConsumer>
{
    public RecordEcsEventsConsumerDefinition()
    {
        EndpointName = PlatformTopology.HistoryEcsEvents;
        // A write's worth waiting while another is written.
        ConcurrentMessageLimit = RecordEcsEventsWriter.MaxMessagesPerWrite * 2;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<RecordEcsEventsConsumer> consumer, IRegistrationContext context)
    {
        endpoint.PrefetchCount = RecordEcsEventsWriter.MaxMessagesPerWrite * 3;
        endpoint.AddDeserializer(new RecordEcsEventsDeserializer());
        // One writer at a time, across every history instance: RabbitMQ hands the queue to a single active consumer
        // (the others stand by), and that consumer's group commit writes one batch at a time. Concurrent writers
        // would only make batches that touch the same tasks conflict and retry.
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            rabbit.SingleActiveConsumer = true;
    }
}
