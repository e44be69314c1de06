using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Platform.EcsSimulator;

/// <summary>
/// Delivers the simulated EventBridge events to ingest's <c>POST /events</c>, many per request, in the order they
/// happened, and retries until ingest takes them (EventBridge retries too).
/// </summary>
public sealed partial class EventForwarder(IOptions<SimulatorOptions> options, IHttpClientFactory http, ILogger<EventForwarder> logger)
    : BackgroundService
{
    private readonly Channel<JsonObject> queue = Channel.CreateUnbounded<JsonObject>(new UnboundedChannelOptions { SingleReader = true });
    private long sent;

    public long Sent => Interlocked.Read(ref sent);

    public void Send(JsonObject e) => queue.Writer.TryWrite(e);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var client = http.CreateClient(nameof(EventForwarder));
        if (options.Value.IngestUrl is { } ingestUrl)
            await WaitUntilAliveAsync(client, new Uri(ingestUrl, "alive"), stoppingToken);
        var batch = new List<JsonObject>();
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < 100 && queue.Reader.TryRead(out var e))
                    batch.Add(e);
                if (options.Value.IngestUrl is { } ingest)
                    await PostAsync(client, new Uri(ingest, "events"), batch, stoppingToken);
                Interlocked.Add(ref sent, batch.Count);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: what is left unsent goes with the simulated cluster
        }
    }

    /// <summary>Started beside the platform (the demo), the simulator waits for ingest instead of failing its first posts.</summary>
    private static async Task WaitUntilAliveAsync(HttpClient client, Uri alive, CancellationToken ct)
    {
        for (var i = 0; i < 120; i++)
        {
            try
            {
                using var response = await client.GetAsync(alive, ct);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        }
    }

    private async Task PostAsync(HttpClient client, Uri url, List<JsonObject> batch, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(new JsonArray([.. batch.Select(e => e.DeepClone())])) };
                request.Headers.Add("X-Api-Key", options.Value.IngestApiKey);
                using var response = await client.SendAsync(request, ct);
                if (response.IsSuccessStatusCode)
                    return;
                LogRefused((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
                if ((int)response.StatusCode is >= 400 and < 500 and not 429)
                    return; // the same events would be refused again
            }
            catch (HttpRequestException e)
            {
                LogUnreachable(url, e.Message);
            }
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), ct);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Ingest answered {Status}: {Body}")]
    private partial void LogRefused(int status, string body);

    [LoggerMessage(LogLevel.Warning, "Ingest at {Url} is not reachable ({Error}); trying again")]
    private partial void LogUnreachable(Uri url, string error);
}
