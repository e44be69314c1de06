using Marten;
using Microsoft.Extensions.Options;
using Platform.Contracts.History;
using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.RecordEcsEvents;
using Platform.History.Features.TrackRuns;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Configuration;

namespace Platform.History.Features.WatchPipelines;

/// <summary>
/// A pipeline's slot, settled at its deadline (stream key <c>pipeline:&lt;name&gt;</c>): ready (its last step succeeded
/// after the slot, by the deadline) or not, with where each step stood and the first that was not done.
/// </summary>
public sealed record PipelineSlotSettled(string Pipeline, DateTimeOffset Slot, DateTimeOffset Deadline, string TimeZone, bool Ready,
    DateTimeOffset? ReadyAt, IReadOnlyList<PipelineStep> Steps, PipelineStep? Culprit);

/// <summary>A pipeline's last settled slot, for the dashboard's row (one document per pipeline, written with the slot).</summary>
public sealed record PipelineStatus(string Id, DateTimeOffset Slot, DateTimeOffset Deadline, bool Ready, IReadOnlyList<PipelineStep> Steps, PipelineStep? Culprit);

/// <summary>
/// Settles each slot of each pipeline monitor once its <c>readyBy</c> deadline has passed, from the runs of its steps
/// created since the slot: one alert per late slot names the first step that failed, was still running or never
/// started (the steps after it are not alerted for it). One instance checks (an advisory lock); a pipeline's cursor and
/// its settled slots are written in one transaction, so a slot is settled once, after downtime too. A new or changed
/// pipeline is judged from the moment it is first seen.
/// </summary>
public sealed class PipelineWatcher(
    IDocumentStore store, PlatformConfigSource config, IOptions<HistoryOptions> options, TimeProvider clock, ILogger<PipelineWatcher> logger)
    : LeaderLoop(clock, logger)
{
    protected override string ConnectionString => options.Value.ConnectionString!;

    protected override string LeaseKey => "platform-pipelines:" + options.Value.Schema;

    protected override TimeSpan Interval => options.Value.MissedRunCheckInterval;

    protected override Task RunOnceAsync(CancellationToken ct) => CheckAsync(ct);

    public async Task CheckAsync(CancellationToken ct)
    {
        var pipelines = config.Current.Monitors.Where(m => m.IsPipeline).ToList();
        if (pipelines.Count == 0)
            return;
        var now = Clock.GetUtcNow();
        await using var session = store.LightweightSession();
        var cursors = (await session.LoadManyAsync<ScheduleCursor>(ct, pipelines.Select(p => CursorId(p.Job)).ToList())).ToDictionary(c => c.Id);
        foreach (var pipeline in pipelines)
        {
            var definition = $"{pipeline.Schedule!.Text} {pipeline.TimeZone.Id} readyBy {pipeline.ReadyBy:HH\\:mm} within {pipeline.ReadyWithin}: {string.Join(" > ", pipeline.Pipeline)}";
            if (!cursors.TryGetValue(CursorId(pipeline.Job), out var cursor) || cursor.Schedule != definition)
            {
                session.Store(new ScheduleCursor(CursorId(pipeline.Job), definition, now));
                continue;
            }
            var slots = pipeline.Schedule.Between(cursor.CheckedThrough, now, pipeline.TimeZone, limit: 1_000)
                .TakeWhile(slot => pipeline.DeadlineOf(slot) <= now).ToList();
            if (slots.Count == 0)
                continue;
            var from = slots[0] - MissedRunDetector.EarlyTolerance;
            var to = pipeline.DeadlineOf(slots[^1]);
            var steps = pipeline.Pipeline.ToArray();
            var runs = await session.Query<Run>().Where(r => r.Job.IsOneOf(steps) && r.CreatedAt >= from && r.CreatedAt <= to).ToListAsync(ct);
            PipelineSlotSettled? last = null;
            foreach (var slot in slots)
            {
                last = Settle(pipeline, slot, runs);
                session.Events.AppendWithId(CursorId(pipeline.Job), last, DeterministicId.ForPipelineSlot($"{pipeline.Job}/{slot.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}"));
            }
            session.Store(new PipelineStatus(pipeline.Job, last!.Slot, last.Deadline, last.Ready, last.Steps, last.Culprit));
            session.Store(cursor with { CheckedThrough = slots[^1] });
        }
        await session.SaveChangesAsync(ct);
    }

    private static string CursorId(string pipeline) => "pipeline:" + pipeline;

    /// <summary>Where each step stood at the slot's deadline, from its runs created since the slot.</summary>
    public static PipelineSlotSettled Settle(MonitorConfig pipeline, DateTimeOffset slot, IReadOnlyList<Run> runs)
    {
        var deadline = pipeline.DeadlineOf(slot);
        var since = slot - MissedRunDetector.EarlyTolerance;
        var steps = pipeline.Pipeline
            .Select(step => StateAt(step, runs.Where(r => r.Job == step && r.CreatedAt >= since && r.CreatedAt <= deadline).ToList(), deadline))
            .ToList();
        var culprit = steps.FirstOrDefault(s => s.State != "succeeded");
        var readyAt = culprit is null
            ? runs.Where(r => r.Job == pipeline.Pipeline[^1] && r.Status == RunStatus.Succeeded && r.CreatedAt >= since && r.StoppedAt <= deadline).Min(r => r.StoppedAt)
            : null;
        return new PipelineSlotSettled(pipeline.Job, slot, deadline, pipeline.TimeZone.Id, culprit is null, readyAt, steps, culprit);
    }

    private static PipelineStep StateAt(string step, IReadOnlyList<Run> runs, DateTimeOffset deadline)
    {
        if (runs.Any(r => r.Status == RunStatus.Succeeded && r.StoppedAt <= deadline))
            return new PipelineStep(step, "succeeded");
        if (runs.Where(r => r.Status is RunStatus.Failed or RunStatus.LaunchFailed && r.StoppedAt <= deadline).MaxBy(r => r.StoppedAt) is { } failed)
            return new PipelineStep(step, "failed", failed.Reason);
        return runs.Count > 0 ? new PipelineStep(step, "running") : new PipelineStep(step, "not started");
    }
}
