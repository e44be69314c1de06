namespace Platform.Contracts.History;

/// <summary>Where one step of a pipeline stood at its deadline: <c>succeeded</c>, <c>failed</c>, <c>running</c> or <c>not started</c>.</summary>
public record PipelineStep(string Step, string State, string? Reason = null);

/// <summary>
/// A pipeline's slot was not done by its deadline (<c>readyBy</c>): <see cref="Step"/> is the first step that was not
/// done (it failed, was still running, or never started); the steps after it are not alerted on their own. Published
/// once per pipeline and slot.
/// </summary>
public record PipelineLate(string Pipeline, DateTimeOffset Slot, DateTimeOffset Deadline, string TimeZone, PipelineStep Step,
    IReadOnlyList<PipelineStep> Steps);
