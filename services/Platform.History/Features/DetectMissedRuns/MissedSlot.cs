namespace Platform.History.Features.DetectMissedRuns;

/// <summary>A slot of a job's schedule that passed its grace without a run (stream key <c>missed:&lt;job&gt;</c>).</summary>
public sealed record RunMissedRecorded(string Job, DateTimeOffset Slot, string Schedule, string TimeZone, TimeSpan Grace);

/// <summary>A run of a missed slot arrived after all: created after the slot's grace, before the next slot.</summary>
public sealed record MissedRunArrivedLate(string Job, DateTimeOffset Slot, string RunId, DateTimeOffset CreatedAt);

/// <summary>
/// One missed slot, for <c>GET /jobs/{name}/gaps</c>. Its id is job and slot, so a slot is missed once;
/// <see cref="LateRunId"/> is the run that came after all.
/// </summary>
public sealed record MissedSlot(string Id, string Job, DateTimeOffset Slot, DateTimeOffset DetectedAt, string? LateRunId = null, DateTimeOffset? LateAt = null)
{
    public static string IdFor(string job, DateTimeOffset slot) => $"{job}/{slot.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}";
}

/// <summary>How far a job's schedule has been checked: slots up to <see cref="CheckedThrough"/> are settled.</summary>
public sealed record ScheduleCursor(string Id, string Schedule, DateTimeOffset CheckedThrough);
