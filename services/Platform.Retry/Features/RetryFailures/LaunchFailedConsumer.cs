using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Platform.Contracts.History;

namespace Platform.Retry.Features.RetryFailures;

public sealed class LaunchFailedConsumer(RelaunchPlanner planner) : IConsumer<LaunchFailed>
{
    public Task Consume(ConsumeContext<LaunchFailed> context)
    {
        var failed = context.Message;
        if (failed.RequestParameters.ValueKind != JsonValueKind.Object)
            return Task.CompletedTask;
        var request = JsonNode.Parse(failed.RequestParameters.GetRawText())!.AsObject();
        return planner.OnLaunchFailedAsync(failed.RunId, failed.Job, failed.Cluster, failed.StartedBy, failed.Reason, request, context.CancellationToken);
    }
}
