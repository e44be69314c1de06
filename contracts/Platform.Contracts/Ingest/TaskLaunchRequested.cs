using System.Text.Json;

namespace Platform.Contracts.Ingest;

/// <summary>
/// A RunTask call, recorded by CloudTrail, that started tasks. <paramref name="RequestParameters"/> is the complete
/// request, kept so that a failed run of those tasks can be retried exactly as it was launched (as CloudTrail returns
/// the record of <paramref name="CloudTrailEventId"/>, its <c>eventID</c>).
/// </summary>
public record TaskLaunchRequested(
    string EventId,
    DateTimeOffset Time,
    string Account,
    string Region,
    string Cluster,
    string Family,
    string? Group,
    string? StartedBy,
    IReadOnlyList<string> TaskArns,
    JsonElement RequestParameters,
    string? CloudTrailEventId = null);
