using JasperFx;
using Marten;
using Marten.Exceptions;
using Microsoft.Extensions.Options;
using Platform.History.Features.RecordEcsEvents;
using Platform.History.Features.SummarizeJobs;
using Platform.History.Features.TrackRuns;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Configuration;

namespace Platform.History.Features.DetectMissedRuns;

/// <summary>
/// Settles the slots of scheduled monitors once their grace has passed: a slot with no run created in its window
/// (from a little before the slot to its grace after; for a rate, the whole interval before it) is missed. One
/// instance checks (an advisory lock); each job's cursor, missed slots, events and summary are written in one
/// transaction, so after a restart or downtime the slots missed meanwhile are found once, and reported together.
/// A monitor's first check starts at that moment: history from before it was monitored is not judged.
/// </summary>
public sealed partial class MissedRunDetector(
    IDocumentStore store, PlatformConfigSource config, IOptions<HistoryOptions> options, TimeProvider clock, ILogger<MissedRunDetector> logger)
    : LeaderLoop(clock, logger)
{
    /// <summary>Schedulers start tasks a little early too (EventBridge's precision is a minute).</summary>
    public static readonly TimeSpan EarlyTolerance = TimeSpan.FromMinutes(2);

    /// <summary>How long before its slot a run still counts for it: a rate's whole interval, else <see cref="EarlyTolerance"/>.</summary>
    public static TimeSpan Lead(ScheduleExpression schedule) => schedule.Rate ?? EarlyTolerance;

    protected override string ConnectionString => options.Value.ConnectionString!;

    protected override string LeaseKey => "platform-missed-runs:" + options.Value.Schema;

    protected override TimeSpan Interval => options.Value.MissedRunCheckInterval;

    protected override Task RunOnceAsync(CancellationToken ct) => CheckAsync(ct);

    public async Task CheckAsync(CancellationToken ct)
    {
        // A pipeline's schedule is its deadline's (PipelineWatcher), and its steps after the first run when the one
        // before them is done: neither is missed on its own.
        var downstream = config.Current.Monitors.SelectMany(m => m.Pipeline.Skip(1)).ToHashSet();
        var monitors = config.Current.Monitors.Where(m => m.Schedule is not null && m.Pipeline.Count == 0 && !downstream.Contains(m.Job)).ToList();
        if (monitors.Count == 0)
            return;
        var now = Clock.GetUtcNow();
        await using var session = store.LightweightSession();
        var cursors = (await session.LoadManyAsync<ScheduleCursor>(ct, monitors.Select(m => m.Job).ToList())).ToDictionary(c => c.Id);
        var newlyMissed = new List<(string Job, int Count, DateTimeOffset First)>();
        foreach (var monitor in monitors)
        {
            var schedule = monitor.Schedule!;
            // A new or changed schedule is judged from now on.
            if (!cursors.TryGetValue(monitor.Job, out var cursor) || cursor.Schedule != schedule.Text)
            {
                session.Store(new ScheduleCursor(monitor.Job, schedule.Text, now));
                continue;
            }
            await FindLateRunsAsync(session, monitor, now, ct);
            var settled = now - monitor.Grace;
            var slots = schedule.Between(cursor.CheckedThrough, settled, monitor.TimeZone, limit: 1_000).ToList();
            if (slots.Count == 0)
                continue;
            var before = Lead(schedule);
            var from = slots[0] - before;
            var to = slots[^1] + monitor.Grace;
            var created = await session.Query<Run>().Where(r => r.Job == monitor.Job && r.CreatedAt >= from && r.CreatedAt <= to)
                .Select(r => r.CreatedAt).ToListAsync(ct);
            var missed = slots.Where(slot => !created.Any(c => c >= slot - before && c <= slot + monitor.Grace)).ToList();
            session.Store(cursor with { CheckedThrough = slots[^1] });
            if (missed.Count == 0)
                continue;

            var summary = await session.LoadAsync<JobSummary>(monitor.Job, ct);
            var isNew = summary is null;
            foreach (var slot in missed)
            {
                var recorded = new RunMissedRecorded(monitor.Job, slot, schedule.Text, monitor.TimeZone.Id, monitor.Grace);
                session.Events.AppendWithId("missed:" + monitor.Job, recorded, DeterministicId.ForMissedSlot(MissedSlot.IdFor(monitor.Job, slot)));
                session.Insert(new MissedSlot(MissedSlot.IdFor(monitor.Job, slot), monitor.Job, slot, now));
                summary = JobSummaryProjection.Next(summary, monitor.Job, recorded);
            }
            JobSummaryProjection.Save(session, summary!, isNew);
            newlyMissed.Add((monitor.Job, missed.Count, missed[0]));
        }
        try
        {
            await session.SaveChangesAsync(ct);
            foreach (var (job, count, first) in newlyMissed)
                LogMissed(job, count, first);
        }
        catch (Exception e) when (e is ConcurrencyException or DocumentAlreadyExistsException)
        {
            // A run of the same job was counted meanwhile: nothing was written, and the next check finds the same slots.
            LogSummaryChanged();
        }
    }

    /// <summary>Marks missed slots of the last two days whose run came after all (once each), so the alert's thread can say so.</summary>
    private static async Task FindLateRunsAsync(IDocumentSession session, MonitorConfig monitor, DateTimeOffset now, CancellationToken ct)
    {
        var since = now - TimeSpan.FromDays(2);
        var open = await session.Query<MissedSlot>().Where(m => m.Job == monitor.Job && m.Slot >= since && m.LateRunId == null).ToListAsync(ct);
        if (open.Count == 0)
            return;
        var first = open.Min(m => m.Slot);
        var runs = await session.Query<Run>().Where(r => r.Job == monitor.Job && r.CreatedAt > first).OrderBy(r => r.CreatedAt)
            .Select(r => new RunStart(r.Id, r.CreatedAt)).ToListAsync(ct);
        foreach (var slot in open)
        {
            var next = monitor.Schedule!.Next(slot.Slot, monitor.TimeZone) ?? DateTimeOffset.MaxValue;
            if (runs.FirstOrDefault(r => r.CreatedAt > slot.Slot + monitor.Grace && r.CreatedAt < next - Lead(monitor.Schedule)) is not { } late)
                continue;
            session.Store(slot with { LateRunId = late.Id, LateAt = late.CreatedAt });
            session.Events.AppendWithId("missed:" + monitor.Job, new MissedRunArrivedLate(monitor.Job, slot.Slot, late.Id, late.CreatedAt),
                DeterministicId.ForMissedSlot(slot.Id + "/late"));
        }
    }

    private sealed record RunStart(string Id, DateTimeOffset CreatedAt);

    [LoggerMessage(LogLevel.Information, "A job summary changed while missed runs were being recorded; the next check records them")]
    private partial void LogSummaryChanged();

    [LoggerMessage(LogLevel.Warning, "{Job} missed {Count} scheduled run(s), the first due at {Slot:O}")]
    private partial void LogMissed(string job, int count, DateTimeOffset slot);

}
