using Marten;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Platform.Contracts.History;
using Platform.EcsSamples;
using Platform.History.Features.DetectMissedRuns;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.WatchPipelines;

/// <summary>
/// A pipeline (extract → transform → load) must be done by 07:00 Berlin for its 02:00 slot: one alert per late slot,
/// naming the step that failed or never started, and no missed-run alert for the steps after it.
/// </summary>
[Collection(PostgresCollection.Name)]
public class PipelineTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly EcsEventFactory ecs = new();
    private readonly string configFile = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    // 01:30 in Berlin (UTC+1 in November): the first slot judged is 02:00 Berlin, 01:00Z, due ready by 07:00 Berlin, 06:00Z.
    private readonly FakeTimeProvider clock = new(At("2026-11-22T00:30:00"));

    public Task InitializeAsync() => File.WriteAllTextAsync(configFile, """
        monitors:
          - job: nightly-etl
            pipeline: [extract, transform, load]
            schedule: cron(0 2 * * ? *)
            timezone: Europe/Berlin
            readyBy: "07:00"
          - job: transform                  # a step with a schedule of its own: not missed on its own when extract failed
            schedule: cron(30 2 * * ? *)
            timezone: Europe/Berlin
            grace: 10m
        """);

    public Task DisposeAsync()
    {
        File.Delete(configFile);
        return Task.CompletedTask;
    }

    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc + "Z", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Jumps the fake clock past a deadline and ticks it until the watcher has settled the slot.</summary>
    private async Task JumpTo(DateTimeOffset time, HistoryApp app, Func<ITestHarness, bool> until)
    {
        clock.SetUtcNow(time);
        await Eventually.Get(() =>
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            return Task.FromResult(until(app.Harness));
        }, done => done, TimeSpan.FromSeconds(30), "the pipeline's slot settled");
    }

    [Fact]
    public async Task A_late_slot_is_one_alert_naming_the_step_that_was_not_done_and_steps_after_it_are_not_missed()
    {
        await using var app = new HistoryApp(postgres, configFile: configFile, clock: clock);
        _ = app.Server;
        // The watcher's first round, at 00:30Z, starts judging the pipeline from then (transform, a step after the
        // first, gets no missed-run cursor of its own at all).
        await Eventually.Get(async () =>
        {
            await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
            return await session.LoadAsync<ScheduleCursor>("pipeline:nightly-etl");
        }, cursor => cursor is not null, what: "the pipeline's cursor started at 00:30Z");

        // Day 1: extract succeeded, transform failed, load never ran.
        await app.PostAsync([.. ecs.Run("extract", At("2026-11-22T01:00:10"), TimeSpan.FromMinutes(20)),
            .. ecs.Run("transform", At("2026-11-22T01:30:00"), TimeSpan.FromMinutes(5), RunEnding.ExitCode, exitCode: 3)]);
        await app.WaitForSummariesAsync(2);
        await JumpTo(At("2026-11-22T06:00:30"), app, h => h.Published.Select<PipelineLate>().Any());
        var first = Assert.Single(app.Harness.Published.Select<PipelineLate>()).Context.Message;
        Assert.Equal(("transform", "failed"), (first.Step.Step, first.Step.State));
        Assert.Equal(["succeeded", "failed", "not started"], first.Steps.Select(s => s.State));
        Assert.Equal((At("2026-11-22T01:00:00"), At("2026-11-22T06:00:00")), (first.Slot, first.Deadline));

        // Day 2: extract failed; transform and load never started (transform's own 02:30 slot passes its grace).
        await app.PostAsync(ecs.Run("extract", At("2026-11-23T01:00:05"), TimeSpan.FromMinutes(3), RunEnding.OutOfMemory));
        await app.WaitForSummariesAsync(3);
        await JumpTo(At("2026-11-23T06:00:30"), app, h => h.Published.Select<PipelineLate>().Count() >= 2);
        var second = app.Harness.Published.Select<PipelineLate>().Select(p => p.Context.Message).Single(m => m.Slot == At("2026-11-23T01:00:00"));
        Assert.Equal(("extract", "failed"), (second.Step.Step, second.Step.State));
        // The dashboard shows the pipeline as one row with its steps as its last slot left them.
        var overview = await app.CreateClient().WithReadKey(AllInOneTestHost.ReadKey).GetStringAsync("/ui/overview");
        Assert.Matches("data-pipeline=\"nightly-etl\" data-status=\"late\"", overview);
        Assert.Matches("data-step=\"extract\" data-state=\"failed\"[\\s\\S]*data-step=\"transform\" data-state=\"not started\"[\\s\\S]*data-step=\"load\" data-state=\"not started\"", overview);

        // Day 3: all three in time: ready, which ends the pipeline's incident.
        await app.PostAsync([.. ecs.Run("extract", At("2026-11-24T01:00:05"), TimeSpan.FromMinutes(3)),
            .. ecs.Run("transform", At("2026-11-24T01:30:00"), TimeSpan.FromMinutes(3)), .. ecs.Run("load", At("2026-11-24T02:00:00"), TimeSpan.FromMinutes(3))]);
        await app.WaitForSummariesAsync(6);
        await JumpTo(At("2026-11-24T06:00:30"), app, h => h.Published.Select<RunSucceeded>().Any(p => p.Context.Message.Job == "nightly-etl"));

        Assert.Equal(2, app.Harness.Published.Select<PipelineLate>().Count());
        Assert.False(await app.Harness.Published.Any<RunMissed>(), "neither the pipeline nor a step after the one that failed is a missed run");
    }
}
