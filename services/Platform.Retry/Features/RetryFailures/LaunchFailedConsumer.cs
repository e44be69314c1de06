using MassTransit;
using Platform.Contracts.History;

namespace Platform.Retry.Features.RetryFailures;

public sealed class LaunchFailedConsumer(RelaunchPlanner planner) : IConsumer<LaunchFailed>
{
    public Task Consume(ConsumeContext<LaunchFailed> context) => planner.OnLaunchFailedAsync(context.Message, context.CancellationToken);
}
