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
        var run = Stopped(scenario, stopCode, stoppedReason, containers);

        var finished = RunClassifier.Classify(run, Now);

        // Without the task definition, which container is essential is a guess wherever exits of several decide.
        Assert.Equal(containers.Length > 1 && kind is null or FailureKind.ExitCode, finished.ClassificationAssumed);
        Assert.Equal(kind is null, finished.Succeeded);
        Assert.Equal(kind, finished.Kind);
        if (reason is not null)
            Assert.Equal(reason, finished.Reason);
        if (kind is not null)
            Assert.False(string.IsNullOrWhiteSpace(finished.Reason), scenario + " must say why it failed");
        Assert.Equal(Now, finished.FinishedAt);
    }

    // Essential containers as DescribeTaskDefinition gives them (containerDefinitions[].essential, AWS's ECS API
    // reference): an app beside a FireLens log router, as in AWS's "custom log routing" guide; the router marked
    // non-essential here, essential in the last cases (the guide's own examples do both).
    public static TheoryData<string, (string, int?, string?)[], string[], FailureKind?, string?> EssentialCases => new()
    {
        { "essential app killed by the kernel beside a router that exited 0", [("app", 137, null), ("log-router", 0, null)], ["app"], FailureKind.ExitCode, "app exited with code 137" },
        { "essential app SIGTERM beside a router that exited 0", [("app", 143, null), ("log-router", 0, null)], ["app"], FailureKind.ExitCode, "app exited with code 143" },
        { "router killed after the essential app exited 0", [("app", 0, null), ("log-router", 137, null)], ["app"], null, null },
        { "a non-essential helper failed, the essential app did its work", [("app", 0, null), ("metrics", 1, null)], ["app"], null, null },
        { "essential app never started", [("app", null, "CannotStartContainerError: entrypoint not found"), ("log-router", 0, null)], ["app"], FailureKind.FailedToStart, "Essential container in task exited; app: CannotStartContainerError: entrypoint not found" },
        { "both essential, both 0", [("app", 0, null), ("log-router", 0, null)], ["app", "log-router"], null, null },
        { "both essential, the router killed: which stopped first is unknown, so it fails", [("app", 0, null), ("log-router", 137, null)], ["app", "log-router"], FailureKind.ExitCode, "log-router exited with code 137" },
    };

    [Theory]
    [MemberData(nameof(EssentialCases))]
    public void With_the_task_definition_only_essential_containers_decide_and_any_non_zero_exit_of_one_fails(
        string scenario, (string, int?, string?)[] containers, string[] essential, FailureKind? kind, string? reason)
    {
        var run = Stopped(scenario, "EssentialContainerExited", "Essential container in task exited", containers);

        var finished = RunClassifier.Classify(run, Now, essential: essential);

        Assert.Equal(kind is null, finished.Succeeded);
        Assert.Equal(kind, finished.Kind);
        Assert.Equal(reason, finished.Reason);
        Assert.False(finished.ClassificationAssumed, scenario);
    }

    [Fact]
    public void The_assumed_rule_is_kept_and_marked_when_the_task_definition_is_unknown_but_not_for_one_container_or_a_monitors_containers()
    {
        var issueCase = Stopped("issue", "EssentialContainerExited", "Essential container in task exited", [("app", 137, null), ("log-router", 0, null)]);

        var assumed = RunClassifier.Classify(issueCase, Now);
        Assert.True(assumed.Succeeded); // today's rule: 137 beside an exit 0 is a killed sidecar
        Assert.True(assumed.ClassificationAssumed);

        var chosen = RunClassifier.Classify(issueCase, Now, decidingContainers: ["app"]);
        Assert.Equal(FailureKind.ExitCode, chosen.Kind);
        Assert.False(chosen.ClassificationAssumed);

        var alone = RunClassifier.Classify(Stopped("alone", "EssentialContainerExited", null, [("app", 0, null)]), Now);
        Assert.True(alone.Succeeded);
        Assert.False(alone.ClassificationAssumed);

        // Essentials that name none of the run's containers (a stale cache of another revision) do not decide.
        var unrelated = RunClassifier.Classify(issueCase, Now, essential: ["web"]);
        Assert.True(unrelated.ClassificationAssumed);
    }

    private static Run Stopped(string scenario, string? stopCode, string? stoppedReason, (string, int?, string?)[] containers) => new()
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
}
