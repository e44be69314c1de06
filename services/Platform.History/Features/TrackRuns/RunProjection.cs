using JasperFx.Events;
using Marten.Events.Aggregation;
using Platform.History.Features.RecordEcsEvents;

namespace Platform.History.Features.TrackRuns;

/// <summary>Inline: a run is readable as soon as its events are stored, and the recorder decides with it.</summary>
public sealed class RunProjection : SingleStreamProjection<Run, string>
{
    public RunProjection()
    {
        IncludeType<TaskStateRecorded>();
        IncludeType<LaunchFailureRecorded>();
        IncludeType<RunFinished>();
    }

    public override Run? Evolve(Run? snapshot, string id, IEvent e) => Next(snapshot, e.Data);

    public static Run? Next(Run? run, object data) => data switch
    {
        TaskStateRecorded recorded => run is null ? Run.Start(recorded) : run.Record(recorded),
        LaunchFailureRecorded failed => run ?? Run.Start(failed),
        RunFinished finished => run?.Record(finished),
        _ => run,
    };
}
