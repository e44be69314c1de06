using MassTransit;
using Platform.Contracts.History;

namespace Platform.Retry.Features.RetryFailures;

public sealed class RunFailedConsumer(RelaunchPlanner planner) : IConsumer<RunFailed>
{
    public Task Consume(ConsumeContext<RunFailed> context) => planner.OnRunFailedAsync(context.Message, context.CancellationToken);
}
