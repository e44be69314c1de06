using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Platform.EcsSamples;
using Platform.History.Features.ReplayHistory;
using Platform.History.Tests.Features.RecordEcsEvents;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.ReplayHistory;

[Collection(PostgresCollection.Name)]
public class ReplayTests(PostgresFixture postgres)
{
    private readonly EcsEventFactory ecs = new();
    private readonly DateTimeOffset day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Rebuilding_every_projection_from_the_events_gives_the_live_state()
    {
        await using var app = new HistoryApp(postgres);
        var events = new RecordEcsEventsTests(postgres).Day(out var finished);
        events.AddRange(ecs.Run("long-etl", day, TimeSpan.FromHours(5)).Take(4));
        await app.PostAsync(events);
        await app.WaitForSummariesAsync(finished);
        await Eventually.Get(() => app.GetArrayAsync("/jobs/long-etl/runs"), r => r.Count == 1);
        // The day's AGENT launch failure gets a relaunch scheduled (retry runs in this host too): one decision stored.
        await Eventually.Get(() => app.GetArrayAsync("/jobs/nightly-report/retries"), r => r.Count == 1);
        var live = await SnapshotAsync(app);

        var report = await app.Services.GetRequiredService<ProjectionRebuilder>().RebuildAllAsync(null, CancellationToken.None);
        var rebuilt = await SnapshotAsync(app);

        // The ECS events, a RunFinished per finished task, the retry decision, and a RunOpened per task (the launch
        // failure has none; the still-running long-etl has one).
        Assert.Equal(events.Count + (finished - 1) + 1 + finished, report.Events);
        Assert.Equal(live, rebuilt);
    }

    [Fact]
    public async Task The_timeline_of_one_job_is_exported_as_json_lines_and_csv()
    {
        await using var app = new HistoryApp(postgres);
        var etl = ecs.Run("etl-orders", day.AddHours(1), TimeSpan.FromMinutes(5), RunEnding.ExitCode, exitCode: 4, taskId: "t-etl");
        var late = ecs.Run("etl-orders", day.AddDays(2), TimeSpan.FromMinutes(5));
        var other = ecs.Run("cleanup", day.AddHours(1), TimeSpan.FromMinutes(5));
        await app.PostAsync([.. etl, .. late, .. other]);
        await app.WaitForSummariesAsync(3);
        var exporter = app.Services.GetRequiredService<TimelineExporter>();

        var jsonl = new StringWriter();
        var written = await exporter.ExportAsync(jsonl, TimelineFormat.Jsonl, "etl-orders", day, day.AddDays(1), null, CancellationToken.None);

        var lines = jsonl.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(etl.Count + 1, written);
        Assert.Equal(written, lines.Count);
        Assert.All(lines, l => Assert.Equal("etl-orders", l["job"]!.GetValue<string>()));
        Assert.Equal(etl.Select(e => e["id"]!.GetValue<string>()).Order(), lines.Where(l => l["type"]!.GetValue<string>() == "task-state").Select(l => l["sourceEventId"]!.GetValue<string>()).Order());
        var finished = lines.Single(l => l["type"]!.GetValue<string>() == "run-finished");
        Assert.Equal("failed", finished["outcome"]!.GetValue<string>());
        Assert.Equal("exit-code", finished["failureKind"]!.GetValue<string>());
        Assert.Equal("app=4 log-router=0", finished["exitCodes"]!.GetValue<string>());

        var csv = new StringWriter();
        await exporter.ExportAsync(csv, TimelineFormat.Csv, null, null, null, null, CancellationToken.None);
        var rows = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("sequence,recordedAt,eventTime,job,runId,type,lastStatus,outcome,failureKind,reason,exitCodes,sourceEventId", rows[0]);
        Assert.Equal(etl.Count + late.Count + other.Count + 3, rows.Length - 1);
    }

    private static async Task<string> SnapshotAsync(HistoryApp app)
    {
        var jobs = await app.GetArrayAsync("/jobs");
        var snapshot = new JsonObject { ["jobs"] = jobs.DeepClone() };
        foreach (var job in jobs)
        {
            var name = job!["name"]!.GetValue<string>();
            snapshot[name] = (await app.GetArrayAsync($"/jobs/{name}/runs?limit=1000")).DeepClone();
        }
        snapshot["long-etl"] = (await app.GetArrayAsync("/jobs/long-etl/runs")).DeepClone();
        return snapshot.ToJsonString();
    }
}
