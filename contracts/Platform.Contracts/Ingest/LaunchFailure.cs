namespace Platform.Contracts.Ingest;

/// <summary>One entry of RunTask's or StartTask's <c>failures[]</c>, e.g. reason <c>AGENT</c> or <c>RESOURCE:MEMORY</c>.</summary>
public record LaunchFailure(string? Arn, string Reason, string? Detail);
