namespace Platform.Contracts.Notifier;

/// <summary>An active silence as the notifier's <c>GET /silences</c> gives it; <see cref="Id"/> is empty for one from the config file.</summary>
public sealed record SilenceReport(Guid Id, string? Job, string? Route, DateTimeOffset Until, string? Reason, DateTimeOffset CreatedAt);
