namespace Platform.Notifier.Features.TrackIncidents;

/// <summary>
/// A job failing on one route, from its first failure to its recovery: one top-level alert, the rest folded into
/// its thread (or into a reminder every repeat interval where the route cannot thread).
/// </summary>
public sealed record Incident
{
    public required string Id { get; init; }
    public required string Route { get; init; }
    public required string Job { get; init; }
    public bool Open { get; init; }
    public DateTimeOffset OpenedAt { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
    public int Failures { get; init; }
    public Guid RootDeliveryId { get; init; }
    public DateTimeOffset LastNotifiedAt { get; init; }
    public string LastSummary { get; init; } = "";

    /// <summary>When the newest failure of the incident ended: an older success (delivered late) does not end it.</summary>
    public DateTimeOffset LastFailureAt { get; init; }

    /// <summary>
    /// Consecutive failures not alerted yet, one line each, while fewer than the monitor's <c>alertAfter</c> (the
    /// incident is not open then); listed in the alert when the next one reaches it. A success clears them.
    /// </summary>
    public IReadOnlyList<string> Pending { get; init; } = [];

    /// <summary>Consecutive successes since the last failure of an open incident, while fewer than the monitor's <c>recoverAfter</c>.</summary>
    public int Recovering { get; init; }

    public static string IdFor(string route, string job) => route + "/" + job;
}

/// <summary>Marks an integration event as handled; inserted in the same commit as its effects.</summary>
public sealed record HandledMessage(string Id);
