using System.Text.Json.Serialization;

namespace Platform.Contracts.History;

[JsonConverter(typeof(JsonStringEnumConverter<FailureKind>))]
public enum FailureKind
{
    [JsonStringEnumMemberName("exit-code")] ExitCode,
    [JsonStringEnumMemberName("out-of-memory")] OutOfMemory,
    [JsonStringEnumMemberName("failed-to-start")] FailedToStart,
    [JsonStringEnumMemberName("infrastructure")] Infrastructure,
    [JsonStringEnumMemberName("stopped-by-user")] StoppedByUser,
    [JsonStringEnumMemberName("timed-out")] TimedOut,
    [JsonStringEnumMemberName("launch-failed")] LaunchFailed,
}
