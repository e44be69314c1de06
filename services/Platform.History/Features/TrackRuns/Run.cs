using System.Text.Json.Serialization;
using Platform.Contracts.History;
using Platform.Contracts.Ingest;
using Platform.History.Features.LinkExecutions;
using Platform.History.Features.RecordEcsEvents;
using Platform.ServiceDefaults;

namespace Platform.History.Features.TrackRuns;

[JsonConverter(typeof(JsonStringEnumConverter<RunStatus>))]
public enum RunStatus
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("stopping")] Stopping,
    [JsonStringEnumMemberName("succeeded")] Succeeded,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("launch-failed")] LaunchFailed,
}

/// <summary>One run: one ECS task, one launch attempt that failed before any task existed, or one Step Functions execution.</summary>
public sealed record Run
{
    public required string Id { get; init; }
    public required string Job { get; init; }
    public required string Cluster { get; init; }
    public string? TaskArn { get; init; }
    public required string TaskDefinition { get; init; }
    public RunStatus Status { get; init; }
    public FailureKind? FailureKind { get; init; }
    public string? Reason { get; init; }

    /// <summary>The task definition could not be read, so which containers were essential was assumed (see <c>RunClassifier</c>).</summary>
    public bool ClassificationAssumed { get; init; }

    public string? LastStatus { get; init; }
    public string? DesiredStatus { get; init; }
    public string? StopCode { get; init; }
    public string? StoppedReason { get; init; }
    public IReadOnlyList<ContainerOutcome> Containers { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? StoppedAt { get; init; }
    public string? StartedBy { get; init; }
    public string? Group { get; init; }
    public string? LaunchType { get; init; }
    public string Region { get; init; } = "";
    public string Account { get; init; } = "";

    /// <summary>
    /// The relaunch chain this run belongs to: our relaunches carry it in startedBy (with their attempt); any other
    /// run is attempt 1 of the chain its own relaunches would have. Runs with the same chain are one incident.
    /// </summary>
    public string Chain { get; init; } = "";

    public int Attempt { get; init; } = 1;

    /// <summary>
    /// The highest <c>detail.version</c> applied: ECS's events of one task may arrive in any order. (Not named
    /// <c>Version</c>: Marten writes the stream version into a member of that name.)
    /// </summary>
    public long TaskVersion { get; init; } = -1;

    /// <summary>Versions already recorded, so a redelivered event is recognised before it is stored.</summary>
    public IReadOnlyList<long> RecordedVersions { get; init; } = [];

    /// <summary>The run is a Step Functions execution (its id and <see cref="ExecutionArn"/> the execution's ARN; <see cref="TaskDefinition"/> its state machine).</summary>
    public bool IsExecution { get; init; }

    /// <summary>For an execution: itself. For an ECS task: the execution that ran it, once that execution's history was read.</summary>
    public string? ExecutionArn { get; init; }

    /// <summary>For an execution that ended: its history was read (<see cref="Execution"/>), or given up on.</summary>
    public bool Linked { get; init; }

    /// <summary>For a linked execution: the state that failed, its ECS task attempts, and how many of them failed.</summary>
    public Contracts.History.ExecutionOutcome? Execution { get; init; }

    public IReadOnlyList<ExecutionAttempt> Attempts { get; init; } = [];

    public bool Finished => Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.LaunchFailed;

    public TimeSpan? Duration => StartedAt is { } started && StoppedAt is { } stopped && stopped >= started ? stopped - started : null;

    public Run Record(TaskStateRecorded recorded)
    {
        var change = recorded.Change;
        var newer = change.Version > TaskVersion;
        var (chain, attempt) = Chain.Length > 0 ? (Chain, Attempt) : RelaunchMarker.ChainOf(change.TaskArn, change.StartedBy);
        return this with
        {
            CreatedAt = change.CreatedAt ?? CreatedAt,
            StartedAt = StartedAt ?? change.StartedAt,
            StoppedAt = StoppedAt ?? change.StoppedAt,
            StartedBy = StartedBy ?? change.StartedBy,
            Chain = chain,
            Attempt = attempt,
            Group = Group ?? change.Group,
            LaunchType = LaunchType ?? change.LaunchType ?? change.CapacityProviderName,
            RecordedVersions = [.. RecordedVersions, change.Version],
            TaskVersion = Math.Max(TaskVersion, change.Version),
            LastStatus = newer ? change.LastStatus : LastStatus,
            DesiredStatus = newer ? change.DesiredStatus : DesiredStatus,
            StopCode = newer ? change.StopCode ?? StopCode : StopCode,
            StoppedReason = newer ? change.StoppedReason ?? StoppedReason : StoppedReason,
            Containers = newer && change.Containers.Count > 0
                ? change.Containers.Select(c => new ContainerOutcome(c.Name, c.ExitCode, c.Reason)).ToList()
                : Containers,
            Status = Finished || !newer ? Status : StatusOf(change),
        };
    }

    public Run Record(ExecutionStatusRecorded recorded)
    {
        var change = recorded.Change;
        var version = change.Ended ? 1 : 0;
        return this with
        {
            StartedAt = StartedAt ?? change.StartDate,
            StoppedAt = StoppedAt ?? change.StopDate,
            RecordedVersions = [.. RecordedVersions, version],
            TaskVersion = Math.Max(TaskVersion, version),
            LastStatus = version >= TaskVersion ? change.Status : LastStatus,
            StoppedReason = StoppedReason ?? (change.Ended ? ExecutionReason(change) : null),
            Status = Finished ? Status : change.Ended ? RunStatus.Stopping : RunStatus.Running,
        };
    }

    /// <summary>Read from the execution's own history, which decides over the event how it ended.</summary>
    public Run Record(ExecutionLinked linked) => this with
    {
        Linked = true,
        Execution = linked.Outcome,
        Attempts = linked.Outcome.Attempts ?? [],
        Status = linked.Succeeded ? RunStatus.Succeeded : RunStatus.Failed,
        FailureKind = linked.Succeeded ? null : linked.Outcome.HistoryRead ? Contracts.History.ExecutionOutcome.KindOf(linked.Outcome.Status) : FailureKind,
    };

    public static Run Start(ExecutionStatusRecorded recorded)
    {
        var change = recorded.Change;
        return new Run
        {
            Id = change.ExecutionArn,
            Job = recorded.Job,
            Cluster = "",
            TaskDefinition = change.StateMachineArn,
            CreatedAt = change.StartDate,
            Region = change.Region,
            Account = change.Account,
            IsExecution = true,
            ExecutionArn = change.ExecutionArn,
            StartedBy = "AWS Step Functions: " + change.Name,
        }.Record(recorded);
    }

    /// <summary>An execution's end as one line: its error, and the start of its cause.</summary>
    public static string ExecutionReason(ExecutionStatusChanged change)
    {
        var error = change.Error ?? change.Status switch { "TIMED_OUT" => "States.Timeout", "ABORTED" => "aborted", _ => "" };
        var cause = change.Cause is { Length: > 0 } c ? c.Length > 200 ? c[..200] + "…" : c : null;
        return cause is null ? error : $"{error}: {cause}";
    }

    public Run Record(RunFinished finished) => this with
    {
        Status = finished.Succeeded ? RunStatus.Succeeded : RunStatus.Failed,
        FailureKind = finished.Kind,
        Reason = finished.Reason,
        ClassificationAssumed = finished.ClassificationAssumed,
        StoppedAt = StoppedAt ?? finished.FinishedAt,
    };

    public static Run Start(TaskStateRecorded recorded)
    {
        var change = recorded.Change;
        return new Run
        {
            Id = change.TaskArn,
            Job = recorded.Job,
            Cluster = change.ClusterName,
            TaskArn = change.TaskArn,
            TaskDefinition = change.TaskDefinitionArn,
            CreatedAt = change.CreatedAt ?? change.Time,
            Region = change.Region,
            Account = change.Account,
        }.Record(recorded);
    }

    public static Run Start(LaunchFailureRecorded recorded)
    {
        var failure = recorded.Failure;
        var id = DeterministicId.LaunchRunId(failure.EventId);
        var (chain, attempt) = RelaunchMarker.ChainOf(id, failure.StartedBy);
        return new Run
        {
            Id = id,
            Job = recorded.Job,
            Cluster = failure.ClusterName,
            TaskDefinition = failure.TaskDefinition,
            Status = RunStatus.LaunchFailed,
            FailureKind = Contracts.History.FailureKind.LaunchFailed,
            Reason = recorded.Reason,
            CreatedAt = failure.Time,
            StoppedAt = failure.Time,
            StartedBy = failure.StartedBy,
            Group = failure.Group,
            Region = failure.Region,
            Account = failure.Account,
            Chain = chain,
            Attempt = attempt,
        };
    }

    private static RunStatus StatusOf(TaskStateChanged change) => change.LastStatus switch
    {
        "PROVISIONING" or "PENDING" or "ACTIVATING" => RunStatus.Pending,
        "RUNNING" => change.DesiredStatus == "STOPPED" ? RunStatus.Stopping : RunStatus.Running,
        _ => RunStatus.Stopping,
    };
}
