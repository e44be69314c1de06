using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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
/// It records what it accepts and can be told to answer 429 with Retry-After, 5xx, or not at all.
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

    public IReadOnlyList<SlackPost> Posts => posts.ToList();

    public string BaseUrl => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public string WebhookUrl(string name) => $"{BaseUrl}/services/T000TEST/B000{name}/secret-{name}";

    public static async Task<FakeSlack> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
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
        posts.Enqueue(new SlackPost(context.Request.Path, context.Request.Headers.Authorization.ToString(), body, DateTimeOffset.UtcNow));
        if (webhook)
        {
            await context.Response.WriteAsync("ok");
            return;
        }
        await context.Response.WriteAsJsonAsync(new { ok = true, ts = $"1700000000.{Interlocked.Increment(ref ts):D6}", channel = body["channel"]?.GetValue<string>() });
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
