using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.Extensions.Options;
using Platform.EcsSamples;
using Platform.Ingest;
using Platform.Ingest.Features.NormalizeEcsEvents;
using Platform.ServiceDefaults;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.RecordEcsEvents;

/// <summary>
/// An event PostgreSQL refuses (a NUL in its text, sent straight to history's queue past ingest, which would have
/// replaced it) costs only itself: the others of its message are stored, and the message that still failed is moved to
/// the error queue, counted on /health, shown on the dashboard and posted to the default route once.
/// </summary>
[Collection(PostgresCollection.Name)]
public class UnstorableEventTests(PostgresFixture postgres)
{
    [Fact]
    public async Task One_event_PostgreSQL_refuses_fails_alone_and_is_counted_shown_and_posted_once()
    {
        await using var app = new HistoryApp(postgres)
        {
            Settings = new Dictionary<string, string> { ["Bus:RetryIntervals:0"] = "00:00:00.010", ["Bus:RetryIntervals:1"] = "00:00:00.010" },
        };
        var ecs = new EcsEventFactory();
        var day = DateTimeOffset.UtcNow.AddHours(-3);
        var events = new JsonArray([.. new[] { "good-one", "bad-one", "good-two" }.Select((job, i) => ecs.Run(job, day.AddMinutes(i), TimeSpan.FromMinutes(1))[^1].DeepClone())]);
        var parser = new EcsEventParser(Options.Create(new IngestOptions { ApiKey = "unused-but-required-key" }));
        var changes = parser.Parse(Encoding.UTF8.GetBytes(events.ToJsonString())).TaskStateChanges
            .Select(c => c.Family == "bad-one" ? c with { StoppedReason = "Essential container exited\0" } : c).ToList();

        var history = await app.Harness.Bus.GetSendEndpoint(PlatformTopology.HistoryEcsEventsAddress);
        await history.Send(new Contracts.Ingest.RecordEcsEvents(changes, [], []));

        var jobs = await app.WaitForSummariesAsync(2);
        Assert.Equal(["good-one", "good-two"], jobs.Select(j => j!["name"]!.GetValue<string>()).Order());
        var health = await Eventually.Get(async () => await app.CreateClient().GetStringAsync("/health"), h => h.Contains("history-ecs-events"),
            what: "the dead letter on /health");
        Assert.Contains("\"Degraded\"", health);
        Assert.Contains("1 item(s)", health);
        Assert.DoesNotContain("Essential container exited", health);

        var page = await Eventually.Get(async () => await app.CreateClient().WithReadKey().GetStringAsync("/ui/overview"),
            p => p.Contains("could not be stored", StringComparison.Ordinal), what: "the dashboard's banner");
        Assert.Contains("1 item(s) of 1 message(s)", page);
        var deliveries = await Eventually.Get(async () => await app.CreateClient().WithReadKey().GetFromJsonAsync<JsonArray>("/deliveries"),
            d => d!.Any(x => x!["text"]!.GetValue<string>().Contains("could not be stored", StringComparison.Ordinal)), what: "the post to the default route");
        var post = Assert.Single(deliveries!, x => x!["text"]!.GetValue<string>().Contains("could not be stored", StringComparison.Ordinal))!["text"]!.GetValue<string>();
        Assert.StartsWith("⚠️ 1 event(s) could not be stored", post);
    }
}
