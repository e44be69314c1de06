namespace Platform.Contracts.History;

/// <summary>The run of a slot reported missed came after all: created at <see cref="CreatedAt"/>. Published once per slot.</summary>
public record RunLate(string Job, DateTimeOffset Slot, string RunId, DateTimeOffset CreatedAt);
