using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Platform.EcsSamples;
using Xunit;
using Xunit.Abstractions;

namespace Platform.Ingest.Tests.Features.ReceiveEvents;

/// <summary>
/// Ten thousand malformed and mutated bodies, built from real event shapes by a seeded generator, posted while valid
/// traffic flows: every one is answered 202, 400 or 413 (never 5xx), only what was accepted is sent on, and every
/// valid event is sent. The seed is printed on failure so a case can be replayed.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Seed = 20261122;
    private const int Payloads = 10_000;
    private readonly IngestApp app = new();
    private readonly EcsEventFactory ecs = new();
    private readonly DateTimeOffset day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Malformed_and_mutated_payloads_get_4xx_never_5xx_and_valid_traffic_alongside_is_all_sent()
    {
        var random = new Random(Seed);
        var seeds = MutatedPayloads.Seeds(ecs, day);
        var client = app.CreateAuthorizedClient();

        var valid = Enumerable.Range(0, 100).SelectMany(i => ecs.Run("valid-job", day.AddMinutes(i), TimeSpan.FromMinutes(1))).ToList();
        var validSends = valid.Chunk(10).Select(async chunk =>
        {
            await Task.Delay(random.Next(0, 2_000));
            return await client.PostAsync("/events", Content(Encoding.UTF8.GetBytes(new JsonArray([.. chunk.Select(e => e.DeepClone())]).ToJsonString())));
        }).ToList();

        var statuses = new Dictionary<HttpStatusCode, int>();
        var accepted = 0;
        var cases = Enumerable.Range(0, Payloads).Select(i => (Index: i, Body: MutatedPayloads.Mutate(seeds[random.Next(seeds.Count)], new Random(Seed + i)))).ToList();
        foreach (var batch in cases.Chunk(32))
        {
            var responses = await Task.WhenAll(batch.Select(async c => (c.Index, Response: await client.PostAsync("/events", Content(c.Body)))));
            foreach (var (index, response) in responses)
            {
                Assert.True((int)response.StatusCode < 500, $"case {index} (seed {Seed + index}) got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                Assert.Contains(response.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge });
                if (response.StatusCode != HttpStatusCode.Accepted)
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                else
                    accepted += JsonNode.Parse(await response.Content.ReadAsStringAsync())!["accepted"]!.GetValue<int>();
                statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
            }
        }
        Assert.All(await Task.WhenAll(validSends), r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));

        var sent = app.SentBatches();
        var sentIds = sent.SelectMany(b => b.TaskStateChanges.Select(c => c.EventId).Concat(b.LaunchFailures.Select(f => f.EventId))
            .Concat(b.LaunchRequests.Select(r => r.EventId))).ToList();
        Assert.Equal(valid.Count + accepted, sentIds.Count);
        Assert.Subset(sentIds.ToHashSet(), valid.Select(e => e["id"]!.GetValue<string>()).ToHashSet());
        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.BadRequest) > Payloads / 2, $"most mutations should be refused: {string.Join(", ", statuses)}");
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/alive")).StatusCode);
        output.WriteLine($"{Payloads} mutated payloads: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(int)s.Key}: {s.Value}"))}; {accepted} mutated events accepted; {valid.Count} valid events all sent");
    }

    private static ByteArrayContent Content(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
