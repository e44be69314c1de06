using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Refit;

namespace Platform.Notifier.Features.DeliverToSlack;

/// <summary>What both Slack APIs take: fallback text and Block Kit blocks, plus channel and thread for chat.postMessage.</summary>
public sealed record SlackPayload(string Text, JsonArray? Blocks, string? Channel = null, string? ThreadTs = null, bool? ReplyBroadcast = null);

public sealed record SlackPostMessageResult(bool Ok, string? Ts, string? Error);

/// <summary>Incoming webhooks: each route has its own URL, which <see cref="WebhookUrlHandler"/> puts on the request.</summary>
public interface ISlackWebhookApi
{
    [Post("/")]
    Task<IApiResponse> PostAsync([Property(WebhookUrlHandler.OptionKey)] string webhookUrl, [Body] SlackPayload payload, CancellationToken ct);
}

/// <summary>Slack's Web API, for bot tokens: it returns the message's <c>ts</c>, which lets replies thread.</summary>
public interface ISlackWebApi
{
    [Post("/api/chat.postMessage")]
    Task<IApiResponse<SlackPostMessageResult>> PostMessageAsync([Authorize("Bearer")] string token, [Body] SlackPayload payload, CancellationToken ct);
}

/// <summary>Sends a webhook request to the route's URL. The URL is a secret: it is set here and never logged.</summary>
public sealed class WebhookUrlHandler : DelegatingHandler
{
    public const string OptionKey = "platform-webhook-url";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(new HttpRequestOptionsKey<string>(OptionKey), out var url))
            request.RequestUri = new Uri(url);
        return base.SendAsync(request, cancellationToken);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SlackPayload))]
[JsonSerializable(typeof(SlackPostMessageResult))]
public sealed partial class SlackJsonContext : JsonSerializerContext;
