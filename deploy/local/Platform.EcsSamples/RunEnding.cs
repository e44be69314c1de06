namespace Platform.EcsSamples;

public enum RunEnding
{
    Success,
    ExitCode,
    OutOfMemory,
    CannotPullImage,
    SpotInterruption,
    StoppedByUser,
    /// <summary>The app exits 0 and ECS kills its sidecar (exit 137): still a success.</summary>
    SuccessWithKilledSidecar,
}
