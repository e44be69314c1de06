using Platform.EcsSamples;

namespace Platform.EcsSimulator;

/// <summary>What the simulated cluster does (section <c>Simulator</c>).</summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "Simulator";

    /// <summary>Where the EventBridge events go (ingest's base URL); without it they are only counted.</summary>
    public Uri? IngestUrl { get; set; }

    public string? IngestApiKey { get; set; }

    public string Region { get; set; } = "eu-west-1";

    public string Account { get; set; } = "123456789012";

    /// <summary>Scales ECS's own lifecycle steps (about 20 s to start, 15 s to stop); 0.1 makes a task start in 2 s.</summary>
    public double Pace { get; set; } = EcsEventFactory.SimulatorPace;

    /// <summary>Behaviour by task definition family; families not listed run for 5 s and exit 0.</summary>
    public Dictionary<string, SimulatedJob> Jobs { get; set; } = [];

    /// <summary>Step Functions state machines whose executions run tasks here, by name.</summary>
    public Dictionary<string, SimulatedStateMachine> StateMachines { get; set; } = [];
}

public sealed class SimulatedJob
{
    /// <summary>How many RunTask calls in a row fail (with <see cref="LaunchFailureReason"/>) before one starts a task.</summary>
    public int LaunchFailures { get; set; }

    public string LaunchFailureReason { get; set; } = "AGENT";

    /// <summary>The exit code of the task's essential container.</summary>
    public int ExitCode { get; set; }

    public TimeSpan RunFor { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Launch the job this often, as an EventBridge schedule would (its RunTask calls are not signed requests).</summary>
    public TimeSpan? Every { get; set; }
}
