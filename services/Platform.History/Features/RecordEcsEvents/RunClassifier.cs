using Platform.Contracts.History;
using Platform.History.Features.TrackRuns;

namespace Platform.History.Features.RecordEcsEvents;

/// <summary>Decides how a stopped task ended, from its stop code, stopped reason and containers.</summary>
public static class RunClassifier
{
    private static readonly string[] FailedToStartMarkers =
        ["CannotPullContainerError", "ResourceInitializationError", "CannotStartContainerError", "CannotCreateContainerError",
         "CannotInspectContainerError", "TaskFailedToStart", "ResourceNotFoundException"];

    private static readonly string[] InfrastructureCodes = ["SpotInterruption", "TerminationNotice", "InfrastructureHealth"];

    private static readonly string[] InfrastructureMarkers =
        ["InfrastructureHealth", "Host EC2", "instance has been terminated", "SpotInterruption", "TerminationNotice"];

    /// <param name="decidingContainers">The containers whose exit decides success (a monitor's <c>containers</c>); empty: all.</param>
    /// <param name="essential">
    /// The essential containers of the run's task definition revision, when ECS told us; null when it could not be
    /// read: then a task of several containers is classified by the assumed rule, and says so.
    /// </param>
    public static RunFinished Classify(Run run, DateTimeOffset fallbackTime, IReadOnlyList<string>? decidingContainers = null,
        IReadOnlyCollection<string>? essential = null)
    {
        var chosen = decidingContainers is { Count: > 0 } names && run.Containers.Any(c => names.Contains(c.Name));
        var (deciding, rule) = chosen
            ? (Only(run, decidingContainers!), ExitRule.Assumed)
            : essential is not null && run.Containers.Any(c => essential.Contains(c.Name))
                ? (Only(run, essential), ExitRule.Essential)
                : (run, ExitRule.Assumed);
        var (succeeded, kind, reason) = Decide(deciding, rule);
        // Marked only where the guess decided: an outcome read from several containers' exits, not the monitor's own
        // container list (the user's word), not a stop code.
        var assumed = !chosen && rule == ExitRule.Assumed && run.Containers.Count > 1 && (succeeded || kind == FailureKind.ExitCode);
        return new RunFinished(run.Id, run.Job, succeeded, kind, reason, run.StopCode, run.Containers,
            run.StoppedAt ?? fallbackTime, run.Duration, run.CreatedAt, run.Cluster, ClassificationAssumed: assumed);
    }

    /// <summary>
    /// An execution's end, as Step Functions reports it: SUCCEEDED, or <c>failed</c>, <c>timed-out</c> or <c>aborted</c>
    /// with the error and cause it gave (which state failed is read from its history afterwards).
    /// </summary>
    public static RunFinished Classify(Run execution, Contracts.Ingest.ExecutionStatusChanged end)
    {
        var kind = ExecutionOutcome.KindOf(end.Status);
        var stoppedAt = end.StopDate ?? end.Time;
        return new RunFinished(execution.Id, execution.Job, kind is null, kind, kind is null ? null : Run.ExecutionReason(end), null, [],
            stoppedAt, stoppedAt - end.StartDate, end.StartDate, execution.Cluster);
    }

    private static Run Only(Run run, IEnumerable<string> names) =>
        run with { Containers = [.. run.Containers.Where(c => names.Contains(c.Name))] };

    /// <summary>How the exits of the deciding containers are read.</summary>
    private enum ExitRule
    {
        /// <summary>
        /// Which containers are essential is not known: when one exited 0, the others' SIGKILL (137) and SIGTERM (143)
        /// are taken for ECS stopping sidecars after the essential container ended the task.
        /// </summary>
        Assumed,

        /// <summary>
        /// Only essential containers decide, and any non-zero exit of one fails the run, 137 and 143 included: ECS
        /// never stops an essential container for a sidecar, and between two essential containers the events do not
        /// say which stopped first, so a watchdog takes the failure.
        /// </summary>
        Essential,
    }

    private static (bool Succeeded, FailureKind? Kind, string? Reason) Decide(Run run, ExitRule rule)
    {
        var stoppedReason = run.StoppedReason ?? "";
        if (stoppedReason.StartsWith(Contracts.Retry.RunTimedOut.StopReasonPrefix, StringComparison.Ordinal))
            return Failed(FailureKind.TimedOut, stoppedReason);
        if (run.StopCode == "UserInitiated")
            return Failed(FailureKind.StoppedByUser, Describe("stopped by a user", stoppedReason));
        if (InfrastructureCodes.Contains(run.StopCode) || ContainsAny(stoppedReason, InfrastructureMarkers))
            return Failed(FailureKind.Infrastructure, Describe(run.StopCode ?? "infrastructure", stoppedReason));

        var oom = run.Containers.FirstOrDefault(c => c.Reason?.Contains("OutOfMemory", StringComparison.OrdinalIgnoreCase) == true);
        if (oom is not null || stoppedReason.Contains("OutOfMemory", StringComparison.OrdinalIgnoreCase))
            return Failed(FailureKind.OutOfMemory, oom is null ? stoppedReason : $"{oom.Name}: {oom.Reason}");

        if (run.StopCode == "TaskFailedToStart" || ContainsAny(stoppedReason, FailedToStartMarkers))
            return Failed(FailureKind.FailedToStart, Describe("TaskFailedToStart", stoppedReason, FirstContainerReason(run)));

        var exited = run.Containers.Where(c => c.ExitCode is not null).ToList();
        if (exited.Count == 0)
            return Failed(FailureKind.FailedToStart,
                Describe("no container got an exit code", stoppedReason, FirstContainerReason(run)));

        // When the essential container exits 0 it stops the task, and ECS then kills the sidecars (SIGKILL 137,
        // SIGTERM 143): those exits are not failures.
        var anyZero = rule == ExitRule.Assumed && exited.Any(c => c.ExitCode == 0);
        var failing = exited.FirstOrDefault(c => c.ExitCode != 0 && !(anyZero && c.ExitCode is 137 or 143));
        if (failing is not null)
            return Failed(FailureKind.ExitCode,
                $"{failing.Name} exited with code {failing.ExitCode}" + (failing.Reason is { Length: > 0 } r ? $": {r}" : ""));

        var neverStarted = run.Containers.FirstOrDefault(c => c.ExitCode is null && c.Reason is { Length: > 0 });
        if (neverStarted is not null && !anyZero)
            return Failed(FailureKind.FailedToStart, $"{neverStarted.Name}: {neverStarted.Reason}");

        return (true, null, null);
    }

    private static (bool, FailureKind?, string?) Failed(FailureKind kind, string reason) => (false, kind, reason);

    private static string? FirstContainerReason(Run run) =>
        run.Containers.FirstOrDefault(c => c.Reason is { Length: > 0 }) is { } c ? $"{c.Name}: {c.Reason}" : null;

    private static string Describe(string what, params string?[] details)
    {
        // The kind already says what happened; the reason says why, in AWS's words where there are any.
        var parts = details.Where(d => !string.IsNullOrWhiteSpace(d)).Distinct().ToList();
        return parts.Count == 0 ? what : string.Join("; ", parts);
    }

    private static bool ContainsAny(string text, string[] markers) =>
        markers.Any(m => text.Contains(m, StringComparison.OrdinalIgnoreCase));
}
