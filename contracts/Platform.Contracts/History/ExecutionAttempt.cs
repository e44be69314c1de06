namespace Platform.Contracts.History;

/// <summary>One ECS task a Task state of a Step Functions execution ran (an <c>ecs:runTask</c> integration), and how it ended.</summary>
public record ExecutionAttempt(string State, string TaskArn, bool Succeeded, string? Error);
