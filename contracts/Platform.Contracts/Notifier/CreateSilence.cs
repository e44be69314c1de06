namespace Platform.Contracts.Notifier;

/// <summary>The body of the notifier's <c>POST /silences</c>: mute a job (on every route) or a route until a time.</summary>
public sealed record CreateSilence(string? Job, string? Route, DateTimeOffset? Until, string? Reason);
