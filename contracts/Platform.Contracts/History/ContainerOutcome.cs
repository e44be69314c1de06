namespace Platform.Contracts.History;

public record ContainerOutcome(string Name, int? ExitCode, string? Reason);
