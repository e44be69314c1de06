using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.Ingest.Tests.Features.ReceiveEvents;

/// <summary>
/// On the in-memory bus (one process), "accepted" means stored: a request is answered 202 once history handled its
/// events, ingest accepts no more than history's queue has room for, and a request history did not store in time is
/// a 503 that EventBridge retries.
/// </summary>
public class BackPressureTests
{
    private readonly EcsEventFactory ecs = new();
    private readonly DateTimeOffset start = new(2026, 11, 20, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_request_history_does_not_store_in_time_is_a_503_and_one_finding_its_queue_full_sends_nothing()
    {
        await using var app = new IngestApp(new() { ["Bus:InMemoryQueueLimit"] = "1", ["Ingest:BacklogWait"] = "00:00:00.300" });
        var client = app.CreateAuthorizedClient();
        app.History.Pause();

        // Sent, but not stored within the wait: not accepted.
        var notStored = await client.PostAsync("/events", Event("a"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notStored.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), notStored.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", notStored.Content.Headers.ContentType?.MediaType);
        Assert.Contains("not stored these events yet", (await notStored.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        await Eventually.Get(() => Task.FromResult(Sent(app)), sent => sent.SequenceEqual(["a"]), what: "a at history, held");

        // History's queue is full (a is held): nothing of b is sent.
        var noRoom = await client.PostAsync("/events", Event("b"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, noRoom.StatusCode);
        Assert.Equal("History is behind", (await noRoom.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        Assert.Equal(["a"], Sent(app));

        app.History.Resume();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/events", Event("b"))).StatusCode);
        Assert.Equal(["a", "b"], Sent(app));
    }

    [Fact]
    public async Task A_request_is_answered_only_once_history_has_stored_its_events()
    {
        await using var app = new IngestApp(new() { ["Bus:InMemoryQueueLimit"] = "1", ["Ingest:BacklogWait"] = "00:00:30" });
        var client = app.CreateAuthorizedClient();
        app.History.Pause();

        var waiting = client.PostAsync("/events", Event("a"));
        await Eventually.Get(() => Task.FromResult(Sent(app)), sent => sent.SequenceEqual(["a"]), what: "a at history, held");
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(waiting.IsCompleted);

        app.History.Resume();
        Assert.Equal(HttpStatusCode.Accepted, (await waiting).StatusCode);
    }

    [Fact]
    public async Task A_message_history_fails_on_is_not_accepted_and_frees_its_room_once_it_is_in_the_error_queue()
    {
        await using var app = new IngestApp(new()
        {
            ["Bus:InMemoryQueueLimit"] = "1", ["Ingest:BacklogWait"] = "00:01:00",
            ["Bus:RetryIntervals:0"] = "00:00:00.010", ["Bus:RetryIntervals:1"] = "00:00:00.010",
        });
        var client = app.CreateAuthorizedClient();
        app.History.FailingFamily = "poison";

        var poison = await client.PostAsync("/events", Event("poison"));
        Assert.Equal(HttpStatusCode.InternalServerError, poison.StatusCode);
        Assert.Contains("error queue", await poison.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/events", Event("a"))).StatusCode);
        Assert.True(await app.Harness.Consumed.Any<Contracts.Ingest.RecordEcsEvents>(c => c.Exception is not null));
        Assert.Equal("a", Sent(app).Last());
    }

    private StringContent Event(string family) =>
        new(ecs.Run(family, start, TimeSpan.FromMinutes(1))[0].ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>What reached history's queue (the harness's own record of sends waits for the bus to go idle).</summary>
    private static List<string> Sent(IngestApp app) =>
        [.. app.History.Received.SelectMany(b => b.TaskStateChanges).Select(c => c.Family)];
}
