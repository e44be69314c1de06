using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.Ingest.Tests.Features.ReceiveEvents;

/// <summary>On the in-memory bus (one process), ingest accepts no more than history's queue has room for.</summary>
public class BackPressureTests
{
    private readonly EcsEventFactory ecs = new();
    private readonly DateTimeOffset start = new(2026, 11, 20, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_request_finding_historys_queue_full_is_refused_with_503_and_nothing_of_it_is_sent()
    {
        await using var app = new IngestApp(new() { ["Bus:InMemoryQueueLimit"] = "2", ["Ingest:BacklogWait"] = "00:00:00.300" });
        var client = app.CreateAuthorizedClient();
        app.History.Pause();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/events", Event("a"))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/events", Event("b"))).StatusCode);

        var refused = await client.PostAsync("/events", Event("c"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal("History is behind", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        Assert.Equal(["a", "b"], Sent(app));

        app.History.Resume();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/events", Event("c"))).StatusCode);
        await Eventually.Get(() => Task.FromResult(Sent(app)), sent => sent.SequenceEqual(["a", "b", "c"]), what: "a, b and c at history");
    }

    [Fact]
    public async Task A_waiting_request_is_accepted_once_history_takes_what_was_queued()
    {
        await using var app = new IngestApp(new() { ["Bus:InMemoryQueueLimit"] = "1", ["Ingest:BacklogWait"] = "00:00:30" });
        var client = app.CreateAuthorizedClient();
        app.History.Pause();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/events", Event("a"))).StatusCode);

        var waiting = client.PostAsync("/events", Event("b"));
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(waiting.IsCompleted);
        Assert.Equal(["a"], Sent(app));

        app.History.Resume();
        Assert.Equal(HttpStatusCode.Accepted, (await waiting).StatusCode);
        await Eventually.Get(() => Task.FromResult(Sent(app)), sent => sent.SequenceEqual(["a", "b"]), what: "a and b at history");
    }

    [Fact]
    public async Task A_message_history_fails_on_frees_its_room_once_it_is_in_the_error_queue()
    {
        await using var app = new IngestApp(new() { ["Bus:InMemoryQueueLimit"] = "1", ["Ingest:BacklogWait"] = "00:01:00" });
        var client = app.CreateAuthorizedClient();
        app.History.FailingFamily = "poison";
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/events", Event("poison"))).StatusCode);

        // Waits while the endpoint's retry schedule (about 21 s) runs out and the message moves to the error queue.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/events", Event("a"))).StatusCode);

        Assert.True(await app.Harness.Consumed.Any<Contracts.Ingest.RecordEcsEvents>(c => c.Exception is not null));
        await Eventually.Get(() => Task.FromResult(Sent(app).Last()), last => last == "a", what: "a at history");
    }

    private StringContent Event(string family) =>
        new(ecs.Run(family, start, TimeSpan.FromMinutes(1))[0].ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>What reached history's queue (the harness's own record of sends waits for the bus to go idle).</summary>
    private static List<string> Sent(IngestApp app) =>
        [.. app.History.Received.SelectMany(b => b.TaskStateChanges).Select(c => c.Family)];
}
