using Platform.History.Features.LinkExecutions;
using Platform.History.Features.RecordEcsEvents;

namespace Platform.History.Features.TrackRuns;

/// <summary>
/// Folds a run's stored events into its <see cref="Run"/> document. The recorder applies it as it appends (it needs
/// the new state to decide whether the run just finished, so it stores the document in the same commit rather than
/// letting Marten project it a second time), and <c>rebuild</c> replays it over the stored streams.
/// </summary>
public static class RunProjection
{
    public static Run? Next(Run? run, object data) => data switch
    {
        TaskStateRecorded recorded => run is null ? Run.Start(recorded) : run.Record(recorded),
        LaunchFailureRecorded failed => run ?? Run.Start(failed),
        RunFinished finished => run?.Record(finished),
        ExecutionStatusRecorded recorded => run is null ? Run.Start(recorded) : run.Record(recorded),
        ExecutionLinked linked => run?.Record(linked),
        _ => run,
    };
}
