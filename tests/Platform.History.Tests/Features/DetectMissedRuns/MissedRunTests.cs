using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MassTransit.Testing;
using Microsoft.Extensions.Time.Testing;
using Platform.Contracts.History;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.DetectMissedRuns;

[Collection(PostgresCollection.Name)]
public class MissedRunTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly EcsEventFactory ecs = new();
    private readonly string configFile = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 22, 10, 0, 30, TimeSpan.Zero));

    public Task InitializeAsync() => File.WriteAllTextAsync(configFile, """
        monitors:
          - job: heartbeat
            schedule: rate(5 minutes)
            grace: 1m
          - job: quarterly
            schedule: cron(5/15 * * * ? *)
            grace: 2m
        """);

    public async Task DisposeAsync()
    {
        File.Delete(configFile);
        await postgres.DropSchemaAsync(schema);
    }

    private static DateTimeOffset At(string time) => DateTimeOffset.Parse($"2026-11-22T{time}Z", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Jumps the fake clock (as if the platform had been down), then ticks it so the detector's 1 s loop runs.</summary>
    private async Task JumpTo(DateTimeOffset time, HistoryApp app, Func<JsonArray, bool> until)
    {
        clock.SetUtcNow(time);
        await Eventually.Get(async () =>
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            return await app.GetArrayAsync("/jobs/heartbeat/gaps");
        }, until, TimeSpan.FromSeconds(30), "the missed slots");
    }

    [Fact]
    public async Task Slots_without_a_run_are_missed_once_each_grouped_into_one_alert_and_found_after_a_restart()
    {
        var app = new HistoryApp(postgres, schema, configFile, clock) { DropSchemaOnDispose = false };
        try
        {
            _ = app.Server;
            await app.PostAsync(ecs.Run("heartbeat", At("10:04:50"), TimeSpan.FromSeconds(30)));
            await app.WaitForSummariesAsync(1);
            // The first check (at start, 10:00:30) judges the monitor from then on. By 10:21:30, 10:05 was met (the run
            // created at 10:04:50) and 10:10, 10:15 and 10:20 were missed: found in one check, they are one alert.
            await Task.Delay(2000);
            await JumpTo(At("10:21:30"), app, gaps => gaps.Count >= 3);
            await Task.Delay(1500);

            var gaps = await app.GetArrayAsync("/jobs/heartbeat/gaps");
            Assert.Equal([At("10:10:00"), At("10:15:00"), At("10:20:00")], gaps.Select(g => g!["slot"]!.GetValue<DateTimeOffset>()));
            var missed = await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunMissed>().ToList()), l => l.Count >= 2, what: "RunMissed");
            var message = Assert.Single(missed, m => m.Context.Message.Job == "heartbeat").Context.Message;
            Assert.Equal(3, message.Slots.Count);
            Assert.Equal("rate(5 minutes)", message.Schedule);

            var job = (await app.ApiClient().GetFromJsonAsync<JsonObject>("/jobs/heartbeat"))!;
            Assert.Equal(3, job["missedCount"]!.GetValue<int>());
            Assert.Equal("missed", job["status"]!.GetValue<string>());
            Assert.Equal(At("10:25:00"), job["nextExpectedAt"]!.GetValue<DateTimeOffset>());

            // quarterly's 10:05 was missed too; its run then comes at 10:08, after the grace and before 10:20.
            Assert.Equal([At("10:05:00")], (await app.GetArrayAsync("/jobs/quarterly/gaps")).Select(g => g!["slot"]!.GetValue<DateTimeOffset>()));
            await app.PostAsync(ecs.Run("quarterly", At("10:08:00"), TimeSpan.FromSeconds(30), taskId: "late1"));
            await Eventually.Get(() => app.GetArrayAsync("/jobs/quarterly/runs"), r => r.Count == 1, what: "the late run");
        }
        finally
        {
            await app.DisposeAsync();
        }

        // Down from 10:21:30 to 10:31:30: 10:25 and 10:30 were missed meanwhile, and nothing earlier again.
        await using var restarted = new HistoryApp(postgres, schema, configFile, clock);
        _ = restarted.Server;
        await JumpTo(At("10:31:30"), restarted, gaps => gaps.Count >= 5);
        await Task.Delay(1500);
        var all = await restarted.GetArrayAsync("/jobs/heartbeat/gaps");
        Assert.Equal(5, all.Count);
        var after = Assert.Single(restarted.Harness.Published.Select<RunMissed>(), m => m.Context.Message.Job == "heartbeat").Context.Message;
        Assert.Equal([At("10:25:00"), At("10:30:00")], after.Slots);

        var quarterly = await restarted.GetArrayAsync("/jobs/quarterly/gaps");
        Assert.Equal([At("10:05:00"), At("10:20:00")], quarterly.Select(g => g!["slot"]!.GetValue<DateTimeOffset>()));
        Assert.Equal(ecs.TaskArn("late1"), quarterly[0]!["lateRunId"]!.GetValue<string>());
        Assert.Null(quarterly[1]!["lateRunId"]);
        var late = Assert.Single(restarted.Harness.Published.Select<RunLate>()).Context.Message;
        Assert.Equal((At("10:05:00"), At("10:08:00")), (late.Slot, late.CreatedAt));
    }
}
