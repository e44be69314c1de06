using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Contracts.History;
using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.RecordEcsEvents;

namespace Platform.History.Features.SummarizeJobs;

public sealed record TimedDuration(DateTimeOffset CreatedAt, TimeSpan Duration);

public sealed record LastRun(string RunId, bool Succeeded, FailureKind? FailureKind, string? Reason, DateTimeOffset FinishedAt);

/// <summary>One mark of a job's recent strip: a finished run (<c>succeeded</c>, <c>failed</c>, <c>launch-failed</c>) or a missed slot (<c>missed</c>).</summary>
public sealed record RunMark(DateTimeOffset At, string Outcome, string? RunId);

/// <summary>Runs that finished within one hour (UTC), for the 24-hour and 7-day counts.</summary>
[JsonConverter(typeof(HourCountJsonConverter))]
public sealed record HourCount(DateTimeOffset Hour, int Succeeded, int Failed);

/// <summary>
/// Writes an hour as <c>[hours since 1970, succeeded, failed]</c>: a summary holds up to 168 of them and is rewritten
/// with every run it counts, and as objects they were most of its size. Reads the objects stored before, too.
/// </summary>
public sealed class HourCountJsonConverter : JsonConverter<HourCount>
{
    public override HourCount Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            var (hour, succeeded, failed) = (default(DateTimeOffset), 0, 0);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (string.Equals(name, "hour", StringComparison.OrdinalIgnoreCase))
                    hour = reader.GetDateTimeOffset();
                else if (string.Equals(name, "succeeded", StringComparison.OrdinalIgnoreCase))
                    succeeded = reader.GetInt32();
                else if (string.Equals(name, "failed", StringComparison.OrdinalIgnoreCase))
                    failed = reader.GetInt32();
                else
                    reader.Skip();
            }
            return new HourCount(hour, succeeded, failed);
        }
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new JsonException("An hour's counts are [hours since 1970, succeeded, failed].");
        var values = new long[3];
        for (var i = 0; i < 3; i++)
        {
            reader.Read();
            values[i] = reader.GetInt64();
        }
        reader.Read();
        if (reader.TokenType != JsonTokenType.EndArray)
            throw new JsonException("An hour's counts are [hours since 1970, succeeded, failed].");
        return new HourCount(DateTimeOffset.UnixEpoch.AddHours(values[0]), (int)values[1], (int)values[2]);
    }

    public override void Write(Utf8JsonWriter writer, HourCount value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue((value.Hour - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerHour);
        writer.WriteNumberValue(value.Succeeded);
        writer.WriteNumberValue(value.Failed);
        writer.WriteEndArray();
    }
}

/// <summary>
/// What users ask of a job. Every field is order-independent, because finished runs reach the projection in the
/// order they were stored, not the order they ran.
/// </summary>
public sealed record JobSummary
{
    private const int MaxTrackedFailures = 500;
    private const int MaxDurationSamples = 20;
    private const int MinBaselineSamples = 5;
    public const int MaxMarks = 30;
    private static readonly TimeSpan HoursKept = TimeSpan.FromDays(7);

    public required string Id { get; init; }
    public string Name => Id;
    public int SuccessCount { get; init; }
    public int FailureCount { get; init; }
    public int LaunchFailureCount { get; init; }
    public Dictionary<string, int> FailuresByKind { get; init; } = [];
    public DateTimeOffset? FirstSuccessAt { get; init; }
    public DateTimeOffset? LastSuccessAt { get; init; }
    public DateTimeOffset? LastFailureAt { get; init; }
    public LastRun? LastRun { get; init; }
    /// <summary>The newest successful runs' durations (by creation time, bounded): the baseline's sample.</summary>
    public IReadOnlyList<TimedDuration> RecentDurations { get; init; } = [];

    /// <summary>The median duration of the recent successful runs, once there are enough of them.</summary>
    public TimeSpan? Baseline => RecentDurations.Count < MinBaselineSamples ? null
        : RecentDurations.Select(d => d.Duration).Order().ElementAt(RecentDurations.Count / 2);

    /// <summary>The cluster of the newest finished run.</summary>
    public string? Cluster { get; init; }

    /// <summary>The newest finished runs and missed slots, oldest first (bounded).</summary>
    public IReadOnlyList<RunMark> Recent { get; init; } = [];

    /// <summary>Finished runs per hour over the seven days up to the newest one, oldest first.</summary>
    public IReadOnlyList<HourCount> Hours { get; init; } = [];

    public int SucceededSince(DateTimeOffset since) => Hours.Where(h => h.Hour >= HourOf(since)).Sum(h => h.Succeeded);

    public int FailedSince(DateTimeOffset since) => Hours.Where(h => h.Hour >= HourOf(since)).Sum(h => h.Failed);

    public int MissedCount { get; init; }
    public DateTimeOffset? LastMissedAt { get; init; }

    /// <summary>Set when read, from the job's schedule: <c>ok</c>, <c>failing</c>, <c>late</c>, <c>missed</c>, or <c>unknown</c> without one.</summary>
    public string? Status { get; init; }

    /// <summary>Set when read: the job's next slot, for a scheduled job.</summary>
    public DateTimeOffset? NextExpectedAt { get; init; }

    /// <summary>Times of the failures after the newest success, newest last (bounded).</summary>
    public IReadOnlyList<DateTimeOffset> FailuresSinceLastSuccess { get; init; } = [];

    /// <summary>Failures after the newest success that no longer fit in <see cref="FailuresSinceLastSuccess"/>.</summary>
    public int OlderConsecutiveFailures { get; init; }

    public int ConsecutiveFailures => FailuresSinceLastSuccess.Count + OlderConsecutiveFailures;

    public static JobSummary Create(string job) => new() { Id = job };

    public JobSummary Record(RunFinished finished)
    {
        var last = new LastRun(finished.RunId, finished.Succeeded, finished.Kind, finished.Reason, finished.FinishedAt);
        var counted = Counted(last, finished.Succeeded ? "succeeded" : "failed", finished.Cluster);
        if (!finished.Succeeded)
            return counted.Failed(last, launch: false);
        var succeeded = counted.Succeeded(last);
        return finished.Duration is { } duration && finished.CreatedAt is { } created
            ? succeeded with { RecentDurations = [.. RecentDurations.Append(new TimedDuration(created, duration)).OrderByDescending(d => d.CreatedAt).Take(MaxDurationSamples)] }
            : succeeded;
    }

    public JobSummary Record(RunMissedRecorded missed) => this with
    {
        MissedCount = MissedCount + 1,
        LastMissedAt = Max(LastMissedAt, missed.Slot),
        Recent = Marked(new RunMark(missed.Slot, "missed", null)),
    };

    public JobSummary Record(LaunchFailureRecorded failed)
    {
        var last = new LastRun(DeterministicId.LaunchRunId(failed.Failure.EventId), false, FailureKind.LaunchFailed, failed.Reason, failed.Failure.Time);
        return Counted(last, "launch-failed", failed.Failure.ClusterName).Failed(last, launch: true);
    }

    /// <summary>The strip, the hourly counts and the cluster, for a finished run (launch failures included).</summary>
    private JobSummary Counted(LastRun run, string outcome, string? cluster)
    {
        var hour = HourOf(run.FinishedAt);
        var bucket = Hours.FirstOrDefault(h => h.Hour == hour) ?? new HourCount(hour, 0, 0);
        bucket = run.Succeeded ? bucket with { Succeeded = bucket.Succeeded + 1 } : bucket with { Failed = bucket.Failed + 1 };
        var hours = Hours.Where(h => h.Hour != hour).Append(bucket).OrderBy(h => h.Hour).ToList();
        var newest = hours[^1].Hour;
        return this with
        {
            Recent = Marked(new RunMark(run.FinishedAt, outcome, run.RunId)),
            Hours = [.. hours.Where(h => h.Hour > newest - HoursKept)],
            Cluster = cluster is not null && (LastRun is null || Newer(LastRun, run) == run) ? cluster : Cluster,
        };
    }

    private IReadOnlyList<RunMark> Marked(RunMark mark) =>
        [.. Recent.Append(mark).OrderBy(m => m.At).ThenBy(m => m.RunId, StringComparer.Ordinal).TakeLast(MaxMarks)];

    private static DateTimeOffset HourOf(DateTimeOffset time) =>
        new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);

    private JobSummary Succeeded(LastRun run)
    {
        var lastSuccess = Max(LastSuccessAt, run.FinishedAt);
        var remaining = FailuresSinceLastSuccess.Where(t => t > lastSuccess).ToList();
        return this with
        {
            SuccessCount = SuccessCount + 1,
            FirstSuccessAt = Min(FirstSuccessAt, run.FinishedAt),
            LastSuccessAt = lastSuccess,
            LastRun = Newer(LastRun, run),
            FailuresSinceLastSuccess = remaining,
            // The untracked failures are older than every tracked one: a success newer than any tracked one ends them too.
            OlderConsecutiveFailures = remaining.Count < FailuresSinceLastSuccess.Count ? 0 : OlderConsecutiveFailures,
        };
    }

    private JobSummary Failed(LastRun run, bool launch)
    {
        var kind = (run.FailureKind ?? FailureKind.ExitCode).ToString();
        var byKind = new Dictionary<string, int>(FailuresByKind) { [kind] = FailuresByKind.GetValueOrDefault(kind) + 1 };
        var failures = FailuresSinceLastSuccess;
        var older = OlderConsecutiveFailures;
        if (LastSuccessAt is null || run.FinishedAt > LastSuccessAt)
        {
            failures = [.. failures.Append(run.FinishedAt).Order()];
            if (failures.Count > MaxTrackedFailures)
            {
                failures = failures.Skip(1).ToList();
                older++;
            }
        }
        return this with
        {
            FailureCount = FailureCount + (launch ? 0 : 1),
            LaunchFailureCount = LaunchFailureCount + (launch ? 1 : 0),
            FailuresByKind = byKind,
            LastFailureAt = Max(LastFailureAt, run.FinishedAt),
            LastRun = Newer(LastRun, run),
            FailuresSinceLastSuccess = failures,
            OlderConsecutiveFailures = older,
        };
    }

    private static LastRun Newer(LastRun? current, LastRun candidate) =>
        current is null || candidate.FinishedAt > current.FinishedAt
        || (candidate.FinishedAt == current.FinishedAt && string.CompareOrdinal(candidate.RunId, current.RunId) > 0)
            ? candidate
            : current;

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;

    private static DateTimeOffset Min(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x < b ? x : b;
}
