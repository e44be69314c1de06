namespace Platform.Contracts.History;

/// <summary>
/// Scheduled slots of a job passed their grace without a run. Slots found together (after downtime, or in one check)
/// come as one message, oldest first. Each slot is reported once.
/// </summary>
public record RunMissed(string Job, IReadOnlyList<DateTimeOffset> Slots, string Schedule, string TimeZone, TimeSpan Grace);
