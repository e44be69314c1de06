using System.Text.Json.Serialization;

namespace Platform.Contracts.History;

/// <summary>The kind's name as the API and the platform file write it (<c>exit-code</c>).</summary>
public static class FailureKindNames
{
    public static string Name(this FailureKind kind) => System.Text.Json.JsonSerializer.Serialize(kind).Trim('"');
}

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

    /// <summary>A Step Functions execution that FAILED (its error and cause say why).</summary>
    [JsonStringEnumMemberName("failed")] Failed,

    /// <summary>A Step Functions execution that was ABORTED (by someone, or by its parent).</summary>
    [JsonStringEnumMemberName("aborted")] Aborted,
}
