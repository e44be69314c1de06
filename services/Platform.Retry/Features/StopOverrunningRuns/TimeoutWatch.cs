using System.Text.Json.Serialization;

namespace Platform.Retry.Features.StopOverrunningRuns;

[JsonConverter(typeof(JsonStringEnumConverter<WatchStatus>))]
public enum WatchStatus
{
    [JsonStringEnumMemberName("watching")] Watching,
    [JsonStringEnumMemberName("stopped")] Stopped,
    [JsonStringEnumMemberName("finished")] Finished,
}

/// <summary>A run of a job with a timeout, and when it must have stopped. Its id is the task ARN: one watch per run.</summary>
public sealed record TimeoutWatch
{
    public required string Id { get; init; }
    public required string Job { get; init; }
    public required string Cluster { get; init; }
    public required TimeSpan Timeout { get; init; }
    public required DateTimeOffset Deadline { get; init; }
    public WatchStatus Status { get; init; } = WatchStatus.Watching;
}
