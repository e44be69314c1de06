using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Platform.Testing;

public sealed record SlackPost(string Path, string? Authorization, JsonObject Body, DateTimeOffset At)
{
    public string Text => Body["text"]!.GetValue<string>();
    public string? ThreadTs => Body["thread_ts"]?.GetValue<string>();

    /// <summary>Every text in the blocks, decoded, one per line.</summary>
    public string BlockText => string.Join("\n", Texts(Body["blocks"]));

    private static IEnumerable<string> Texts(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key == "text" && p.Value is JsonValue v ? [v.GetValue<string>()] : Texts(p.Value)),
        JsonArray a => a.SelectMany(Texts),
        _ => [],
    };
}

/// <summary>
/// Slack as a real HTTP server on loopback: incoming webhooks at <c>/services/…</c> and <c>chat.postMessage</c>.
/// It records what it accepts and can be told to answer 429 with Retry-After, 5xx, or not at all. Like Slack, it
/// refuses blocks over Block Kit's limits (50 blocks, header 150 characters, section 3,000, 10 fields of 2,000):
/// a webhook answers 400 <c>invalid_blocks</c>, chat.postMessage <c>ok: false</c>.
/// </summary>
public sealed class FakeSlack : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<SlackPost> posts = new();
    private int ts;

    private FakeSlack(WebApplication app) => this.app = app;

    /// <summary>How to answer the next request: null accepts it.</summary>
    public Func<HttpContext, Task<bool>>? Refuse { get; set; }

    public int Requests;

    /// <summary>Refuse every message that has blocks, as Slack does blocks it cannot render.</summary>
    public bool RefuseAllBlocks { get; set; }

    /// <summary>Bodies refused for their blocks, and why.</summary>
    public ConcurrentQueue<(JsonObject Body, string Why)> RefusedBlocks { get; } = new();

    public IReadOnlyList<SlackPost> Posts => posts.ToList();

    public string BaseUrl => app.BaseUrl();

    public string WebhookUrl(string name) => $"{BaseUrl}/services/T000TEST/B000{name}/secret-{name}";

    public static async Task<FakeSlack> StartAsync()
    {
        var app = LoopbackServer.Create();
        var slack = new FakeSlack(app);
        app.MapPost("/services/{**rest}", (HttpContext context) => slack.HandleAsync(context, webhook: true));
        app.MapPost("/api/chat.postMessage", (HttpContext context) => slack.HandleAsync(context, webhook: false));
        await app.StartAsync();
        return slack;
    }

    private async Task HandleAsync(HttpContext context, bool webhook)
    {
        Interlocked.Increment(ref Requests);
        if (Refuse is { } refuse && await refuse(context))
            return;
        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        if ((RefuseAllBlocks && body["blocks"] is not null ? "refusing all blocks" : InvalidBlocks(body)) is { } why)
        {
            RefusedBlocks.Enqueue((body, why));
            if (webhook)
            {
                context.Response.StatusCode = 400;
                await context.Response.WriteAsync("invalid_blocks");
            }
            else
                await context.Response.WriteAsJsonAsync(new { ok = false, error = "invalid_blocks" });
            return;
        }
        posts.Enqueue(new SlackPost(context.Request.Path, context.Request.Headers.Authorization.ToString(), body, DateTimeOffset.UtcNow));
        if (webhook)
        {
            await context.Response.WriteAsync("ok");
            return;
        }
        await context.Response.WriteAsJsonAsync(new { ok = true, ts = $"1700000000.{Interlocked.Increment(ref ts):D6}", channel = body["channel"]?.GetValue<string>() });
    }

    /// <summary>Why Slack would refuse these blocks, or null.</summary>
    public static string? InvalidBlocks(JsonObject body)
    {
        if (body["blocks"] is not JsonArray blocks)
            return body["text"] is JsonValue ? null : "no text and no blocks";
        if (blocks.Count > 50)
            return $"{blocks.Count} blocks (at most 50)";
        foreach (var block in blocks.OfType<JsonObject>())
        {
            var type = block["type"]?.GetValue<string>();
            if (type == "header" && block["text"]!["text"]!.GetValue<string>().Length > 150)
                return "header text over 150 characters";
            if (type == "section" && block["text"]?["text"]?.GetValue<string>().Length > 3000)
                return "section text over 3,000 characters";
            if (block["fields"] is JsonArray fields && (fields.Count > 10 || fields.Any(f => f!["text"]!.GetValue<string>().Length > 2000)))
                return "more than 10 fields, or a field over 2,000 characters";
        }
        return null;
    }

    public static Func<HttpContext, Task<bool>> Status(HttpStatusCode status, TimeSpan? retryAfter = null) => context =>
    {
        context.Response.StatusCode = (int)status;
        if (retryAfter is { } after)
            context.Response.Headers.RetryAfter = ((int)after.TotalSeconds).ToString();
        return Task.FromResult(true);
    };

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
