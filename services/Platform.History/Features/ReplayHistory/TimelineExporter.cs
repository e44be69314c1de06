using Platform.History.Features.RecordRetryDecisions;
using System.Globalization;
using System.Text.Json;
using Platform.Contracts.History;
using System.Text.Json.Serialization;
using JasperFx.Events;
using Marten;
using Platform.History.Features.RecordEcsEvents;

namespace Platform.History.Features.ReplayHistory;

public enum TimelineFormat
{
    Jsonl,
    Csv,
}

/// <summary>One stored event, flattened for auditors.</summary>
public sealed record TimelineEntry(
    long Sequence,
    DateTimeOffset RecordedAt,
    DateTimeOffset EventTime,
    string Job,
    string RunId,
    string Type,
    string? LastStatus,
    string? Outcome,
    string? FailureKind,
    string? Reason,
    string? ExitCodes,
    string? SourceEventId);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TimelineEntry))]
internal sealed partial class TimelineJsonContext : JsonSerializerContext;

/// <summary>Streams the timeline of one job or all jobs over a time range (by the ECS event's time), in store order.</summary>
public sealed class TimelineExporter(IDocumentStore store)
{
    private const int PageSize = 5_000;

    public async Task<int> ExportAsync(TextWriter output, TimelineFormat format, string? job, DateTimeOffset? from, DateTimeOffset? to,
        Action<long, long>? progress, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var stats = await store.Advanced.FetchEventStoreStatistics(token: ct);
        if (format == TimelineFormat.Csv)
            await output.WriteLineAsync("sequence,recordedAt,eventTime,job,runId,type,lastStatus,outcome,failureKind,reason,exitCodes,sourceEventId");

        var written = 0;
        var read = 0L;
        await foreach (var page in StoredEvents.ReadAllAsync(session, PageSize, ct))
        {
            foreach (var e in page)
            {
                if (ToEntry(e) is not { } entry || (job is not null && entry.Job != job)
                    || entry.EventTime < from || entry.EventTime >= to)
                    continue;
                await output.WriteLineAsync(format == TimelineFormat.Csv ? ToCsv(entry) : JsonSerializer.Serialize(entry, TimelineJsonContext.Default.TimelineEntry));
                written++;
            }
            read += page.Count;
            progress?.Invoke(read, stats.EventCount);
        }
        await output.FlushAsync(ct);
        return written;
    }

    private static TimelineEntry? ToEntry(IEvent e) => e.Data switch
    {
        TaskStateRecorded r => new TimelineEntry(e.Sequence, e.Timestamp, r.Change.Time, r.Job, e.StreamKey!, "task-state", r.Change.LastStatus,
            null, null, r.Change.StoppedReason, ExitCodes(r.Change.Containers.Select(c => (c.Name, c.ExitCode))), r.Change.EventId),
        LaunchFailureRecorded f => new TimelineEntry(e.Sequence, e.Timestamp, f.Failure.Time, f.Job, e.StreamKey!, "launch-failed", null,
            "launch-failed", "launch-failed", f.Reason, null, f.Failure.EventId),
        RunFinished r => new TimelineEntry(e.Sequence, e.Timestamp, r.FinishedAt, r.Job, e.StreamKey!, "run-finished", "STOPPED",
            r.Succeeded ? "succeeded" : "failed", r.Kind?.Name(), r.Reason,
            ExitCodes(r.Containers.Select(c => (c.Name, c.ExitCode))), null),
        LaunchRequestRecorded r => new TimelineEntry(e.Sequence, e.Timestamp, r.Request.Time, r.Job, e.StreamKey!, "launch-requested", null,
            null, null, string.Join(" ", r.Request.TaskArns), null, r.Request.EventId),
        RetryDecisionRecorded d => new TimelineEntry(e.Sequence, e.Timestamp, d.At, d.Job, e.StreamKey!, d.Decision, null,
            null, null, d.Detail, null, null),
        _ => null,
    };

    private static string? ExitCodes(IEnumerable<(string Name, int? ExitCode)> containers)
    {
        var codes = containers.Where(c => c.ExitCode is not null).Select(c => $"{c.Name}={c.ExitCode}").ToList();
        return codes.Count == 0 ? null : string.Join(' ', codes);
    }

    private static string ToCsv(TimelineEntry e) => string.Join(',',
        e.Sequence.ToString(CultureInfo.InvariantCulture), e.RecordedAt.ToString("O"), e.EventTime.ToString("O"), Csv(e.Job), Csv(e.RunId),
        e.Type, Csv(e.LastStatus), Csv(e.Outcome), Csv(e.FailureKind), Csv(e.Reason), Csv(e.ExitCodes), Csv(e.SourceEventId));

    private static string Csv(string? value) =>
        value is null ? "" : value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
}
