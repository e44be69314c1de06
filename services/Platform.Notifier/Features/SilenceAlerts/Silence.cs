namespace Platform.Notifier.Features.SilenceAlerts;

/// <summary>Mutes a job (on every route) or a whole route until a time.</summary>
public sealed record Silence(Guid Id, string? Job, string? Route, DateTimeOffset Until, string? Reason, DateTimeOffset CreatedAt)
{
    public bool Covers(string job, string route, DateTimeOffset now) =>
        Until > now && (Job is null || Job == job) && (Route is null || Route == route);
}
