using Platform.Contracts.History;
using Platform.History.Features.RecordEcsEvents;
using Platform.History.Features.TrackRuns;
using Xunit;

namespace Platform.History.Tests.Features.RecordEcsEvents;

public class RunClassifierTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 3, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string?, string?, (string, int?, string?)[], FailureKind?, string?> Cases => new()
    {
        { "all exit 0", "EssentialContainerExited", "Essential container in task exited", [("app", 0, null), ("log-router", 0, null)], null, null },
        { "app exits 1", "EssentialContainerExited", "Essential container in task exited", [("app", 1, null), ("log-router", 0, null)], FailureKind.ExitCode, "app exited with code 1" },
        { "sidecar killed after app exited 0", "EssentialContainerExited", "Essential container in task exited", [("app", 0, null), ("log-router", 137, null)], null, null },
        { "sidecar SIGTERM after app exited 0", "EssentialContainerExited", "Essential container in task exited", [("app", 0, null), ("envoy", 143, null)], null, null },
        { "killed, nothing exited 0", "EssentialContainerExited", "Essential container in task exited", [("app", 137, null)], FailureKind.ExitCode, "app exited with code 137" },
        { "out of memory", "EssentialContainerExited", "Essential container in task exited", [("app", 137, "OutOfMemoryError: Container killed due to memory usage"), ("log-router", 143, null)], FailureKind.OutOfMemory, "app: OutOfMemoryError: Container killed due to memory usage" },
        { "image pull", "TaskFailedToStart", "CannotPullContainerError: pull image manifest has been retried 5 time(s)", [("app", null, "CannotPullContainerError: not found")], FailureKind.FailedToStart, null },
        { "resource initialization", null, "ResourceInitializationError: unable to pull secrets or registry auth", [("app", null, null)], FailureKind.FailedToStart, "ResourceInitializationError: unable to pull secrets or registry auth" },
        { "no exit code at all", "EssentialContainerExited", null, [("app", null, null)], FailureKind.FailedToStart, "no container got an exit code" },
        { "spot interruption", "SpotInterruption", "Your Spot Task was interrupted.", [("app", 143, null)], FailureKind.Infrastructure, "Your Spot Task was interrupted." },
        { "termination notice", "TerminationNotice", "Host EC2 (instance i-0123) terminated.", [("app", 143, null)], FailureKind.Infrastructure, null },
        { "stopped by a person", "UserInitiated", "Task stopped by user", [("app", 143, null)], FailureKind.StoppedByUser, "Task stopped by user" },
        { "our own timeout", "UserInitiated", "Stopped by Platform: exceeded timeout of 30m", [("app", 143, null)], FailureKind.TimedOut, "Stopped by Platform: exceeded timeout of 30m" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_stopped_task_is_classified_by_stop_code_reason_and_containers(
        string scenario, string? stopCode, string? stoppedReason, (string, int?, string?)[] containers, FailureKind? kind, string? reason)
    {
        var run = new Run
        {
            Id = "arn:aws:ecs:eu-west-1:123456789012:task/batch/" + scenario.Replace(' ', '-'),
            Job = "nightly-report",
            Cluster = "batch",
            TaskDefinition = "arn:aws:ecs:eu-west-1:123456789012:task-definition/nightly-report:7",
            StopCode = stopCode,
            StoppedReason = stoppedReason,
            LastStatus = "STOPPED",
            Containers = containers.Select(c => new ContainerOutcome(c.Item1, c.Item2, c.Item3)).ToList(),
        };

        var finished = RunClassifier.Classify(run, Now);

        Assert.Equal(kind is null, finished.Succeeded);
        Assert.Equal(kind, finished.Kind);
        if (reason is not null)
            Assert.Equal(reason, finished.Reason);
        if (kind is not null)
            Assert.False(string.IsNullOrWhiteSpace(finished.Reason), scenario + " must say why it failed");
        Assert.Equal(Now, finished.FinishedAt);
    }
}
