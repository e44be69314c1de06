using Platform.ServiceDefaults.Aws;
using System.Text.Json.Serialization;
using Refit;

namespace Platform.Retry.Features.CallAws;

/// <summary>
/// CloudTrail's <c>LookupEvents</c> on its JSON 1.1 protocol. The retry service asks CloudTrail itself for the record
/// of a RunTask call before it replays that call: an event posted to ingest is only a claim.
/// </summary>
public interface ICloudTrailApi
{
    [Post("/")]
    [Headers("X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents")]
    Task<LookupEventsResponse> LookupEventsAsync([Body] LookupEventsRequest request, CancellationToken ct);
}

/// <summary>CloudTrail allows one lookup attribute per request; <c>EventId</c> finds one record.</summary>
public sealed record LookupEventsRequest(IReadOnlyList<LookupAttribute> LookupAttributes, int? MaxResults = null)
{
    public static LookupEventsRequest ForEventId(string eventId) => new([new LookupAttribute("EventId", eventId)], 1);
}

public sealed record LookupAttribute(string AttributeKey, string AttributeValue);

public sealed record LookupEventsResponse(IReadOnlyList<LookupEvent>? Events, string? NextToken);

/// <summary>One record: <see cref="CloudTrailEvent"/> is the whole CloudTrail record as a JSON string.</summary>
public sealed record LookupEvent(string? EventId, string? EventName, string? EventSource, DateTimeOffset? EventTime, string? CloudTrailEvent);

// CloudTrail's JSON names are PascalCase, as the records above declare them.
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNameCaseInsensitive = true,
    Converters = [typeof(EpochSecondsConverter)])]
[JsonSerializable(typeof(LookupEventsRequest))]
[JsonSerializable(typeof(LookupEventsResponse))]
public sealed partial class CloudTrailJsonContext : JsonSerializerContext;
