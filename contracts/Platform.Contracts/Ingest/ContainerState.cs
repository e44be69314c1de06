namespace Platform.Contracts.Ingest;

/// <summary>One container of a task as ECS reported it. A container that never started has no exit code.</summary>
public record ContainerState(
    string Name,
    string? LastStatus,
    int? ExitCode,
    string? Reason,
    string? Image = null,
    string? ContainerArn = null);
