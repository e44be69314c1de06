using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Contracts.History;
using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.RecordEcsEvents;
using Platform.History.Features.SummarizeJobs;
using Xunit;

namespace Platform.History.Tests.Features.SummarizeJobs;

public class JobSummaryTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static RunFinished Finished(int i, bool succeeded) => new($"run-{i}", "job", succeeded, succeeded ? null : FailureKind.ExitCode,
        succeeded ? null : "exit 1", null, [], Start.AddHours(i * 3), TimeSpan.FromMinutes(1), Start.AddHours(i * 3).AddMinutes(-1), $"cluster-{i}");

    private static JobSummary Fold(IEnumerable<object> events) =>
        events.Aggregate(JobSummary.Create("job"), (s, e) => JobSummaryProjection.Next(s, "job", e));

    [Fact]
    public void The_strip_hourly_counts_and_cluster_do_not_depend_on_the_order_events_were_stored_in()
    {
        // 80 runs every 3 hours (10 days), every fifth failed, and a missed slot.
        var events = Enumerable.Range(0, 80).Select(i => (object)Finished(i, i % 5 != 0))
            .Append(new RunMissedRecorded("job", Start.AddHours(230), "rate(3 hours)", "UTC", TimeSpan.FromMinutes(5))).ToList();
        var inOrder = Fold(events);
        var shuffled = Fold(events.OrderBy(_ => Random.Shared.Next()));

        Assert.Equal(inOrder.Recent, shuffled.Recent);
        Assert.Equal(inOrder.Hours, shuffled.Hours);
        Assert.Equal("cluster-79", inOrder.Cluster);
        Assert.Equal(inOrder.Cluster, shuffled.Cluster);

        Assert.Equal(JobSummary.MaxMarks, inOrder.Recent.Count);
        Assert.Equal(Start.AddHours(79 * 3), inOrder.Recent[^1].At);
        Assert.Equal("failed", inOrder.Recent.Single(m => m.RunId == "run-75").Outcome);
        // The missed slot (hour 230) is among the newest 30 marks, so the oldest of those runs (run-50) dropped out.
        Assert.Equal(Start.AddHours(230), Assert.Single(inOrder.Recent, m => m.Outcome == "missed").At);
        Assert.Equal("run-51", inOrder.Recent[0].RunId);

        // Seven days back from the newest run (hour 237): runs 24..79 (56 runs), of which 11 failed (25, 30, …, 75).
        Assert.Equal(56, inOrder.SucceededSince(Start.AddHours(237 - 7 * 24 + 1)) + inOrder.FailedSince(Start.AddHours(237 - 7 * 24 + 1)));
        Assert.Equal(11, inOrder.FailedSince(Start.AddHours(237 - 7 * 24 + 1)));
        Assert.Equal(8, inOrder.SucceededSince(Start.AddHours(237 - 24 + 1)) + inOrder.FailedSince(Start.AddHours(237 - 24 + 1)));
    }

    [Fact]
    public void Hourly_counts_are_stored_as_compact_triples_and_summaries_stored_before_still_read()
    {
        var json = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        var summary = Fold(Enumerable.Range(0, 80).Select(i => (object)Finished(i, i % 5 != 0)));

        var stored = JsonSerializer.Serialize(summary, json);
        var hours = JsonNode.Parse(stored)!["hours"]!.AsArray();
        Assert.Equal(summary.Hours.Count, hours.Count);
        var newest = summary.Hours[^1];
        Assert.Equal(new JsonArray((newest.Hour - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerHour, newest.Succeeded, newest.Failed).ToJsonString(),
            hours[^1]!.ToJsonString());
        Assert.Equal(summary.Hours, JsonSerializer.Deserialize<JobSummary>(stored, json)!.Hours);

        var before = JsonSerializer.Deserialize<JobSummary>("""{"id":"job","hours":[{"hour":"2026-11-01T03:00:00+00:00","succeeded":2,"failed":1}]}""", json)!;
        Assert.Equal([new HourCount(Start.AddHours(3), 2, 1)], before.Hours);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<JobSummary>("""{"id":"job","hours":[[1,2]]}""", json));
    }
}
