using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Bus;

namespace Platform.ServiceDefaults;

/// <summary>An exception that says how many of a message's items could not be handled (the rest were).</summary>
public interface IPartlyHandled
{
    int ItemsNotHandled { get; }
}

/// <summary>
/// Nothing that ends in an error queue goes unnoticed: each service counts what it moved there (shown on /health as
/// Degraded, with the endpoint and the reason) and publishes <see cref="MessageDeadLettered"/> once per message, which
/// history keeps for the dashboard and the notifier posts to the default route.
/// </summary>
public sealed partial class DeadLetters(IHostEnvironment environment, IServiceProvider services, ILogger<DeadLetters> logger) : IHealthCheck
{
    private readonly ConcurrentDictionary<string, (int Count, string LastReason)> byEndpoint = new();
    private readonly ConcurrentDictionary<string, bool> counted = new();

    /// <summary>MassTransit moved a message to <c>&lt;endpoint&gt;_error</c>.</summary>
    public Task OnMovedAsync(ExceptionReceiveContext context)
    {
        var urn = (context.TryGetPayload(out ConsumeContext? consumed) ? consumed.SupportedMessageTypes.FirstOrDefault() : null) ?? EnvelopeMessageType(context);
        var messageType = urn is null ? "unknown" : urn[(urn.LastIndexOf(':') + 1)..];
        var items = context.Exception is IPartlyHandled partly ? partly.ItemsNotHandled : 1;
        var endpoint = context.InputAddress.AbsolutePath.Trim('/');
        return ReportAsync(endpoint, endpoint + "_error", messageType, context.GetMessageId()?.ToString() ?? NewId.NextGuid().ToString(), items,
            Describe(context.Exception));
    }

    /// <summary>
    /// A message left where it waits for someone (an error queue, or a source queue's redrive to its DLQ), counted once
    /// per <paramref name="messageId"/> however often it is seen, and reported once.
    /// </summary>
    public async Task ReportAsync(string endpoint, string waitsIn, string messageType, string messageId, int items, string reason)
    {
        if (!counted.TryAdd($"{endpoint}/{messageId}", true))
            return;
        byEndpoint.AddOrUpdate(endpoint, _ => (items, reason), (_, was) => (was.Count + items, reason));
        LogMoved(items, messageType, waitsIn, reason);
        // A report that itself failed is counted here only: reporting it would go round in a circle.
        if (messageType == nameof(MessageDeadLettered))
            return;
        var report = new MessageDeadLettered(environment.ApplicationName, endpoint, messageType, messageId, items, reason, waitsIn, DateTimeOffset.UtcNow);
        try
        {
            await services.GetRequiredService<IBus>().Publish(report, c => c.MessageId = ReportId(endpoint, messageId));
        }
        catch (Exception e)
        {
            // The message waits where it is and is counted here; a report that could not go out is not worth more.
            LogReportFailed(e, waitsIn);
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (byEndpoint.IsEmpty)
            return Task.FromResult(HealthCheckResult.Healthy("No message was moved to an error queue."));
        var lines = byEndpoint.OrderBy(e => e.Key).Select(e => $"{e.Key}: {e.Value.Count} ({e.Value.LastReason})");
        return Task.FromResult(HealthCheckResult.Degraded(
            $"{byEndpoint.Values.Sum(v => v.Count)} item(s) could not be handled and wait in error queues since start: {string.Join("; ", lines)}"));
    }

    /// <summary>The first message type MassTransit's JSON envelope names (a consumer with its own deserializer leaves no ConsumeContext here).</summary>
    private static string? EnvelopeMessageType(ExceptionReceiveContext context)
    {
        try
        {
            using var envelope = System.Text.Json.JsonDocument.Parse(context.Body.GetBytes());
            return envelope.RootElement.TryGetProperty("messageType", out var types) && types.ValueKind == System.Text.Json.JsonValueKind.Array
                && types.GetArrayLength() > 0 ? types[0].GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The exception's type and message, cut short; never the message's content (Marten's own carry it, so the root cause's words are taken).</summary>
    private static string Describe(Exception exception)
    {
        var text = $"{exception.GetType().Name}: {exception.Message}";
        return text.Length <= 300 ? text : text[..299] + "…";
    }

    private static Guid ReportId(string endpoint, string messageId) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"dead-letter:{endpoint}:{messageId}")).AsSpan(0, 16));

    [LoggerMessage(LogLevel.Warning, "Could not publish the report of a message waiting in {WaitsIn}; it is counted on /health")]
    private partial void LogReportFailed(Exception e, string waitsIn);

    [LoggerMessage(LogLevel.Error, "{Items} item(s) of a {MessageType} message could not be handled and wait in {WaitsIn}: {Reason}")]
    private partial void LogMoved(int items, string messageType, string waitsIn, string reason);
}

/// <summary>In the error pipe, after MassTransit's own filters moved the message: reports it (<see cref="DeadLetters"/>).</summary>
public sealed class ReportDeadLetterFilter(DeadLetters deadLetters) : IFilter<ExceptionReceiveContext>
{
    public void Probe(ProbeContext context) => context.CreateFilterScope("reportDeadLetter");

    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        await next.Send(context);
        await deadLetters.OnMovedAsync(context);
    }
}
