using Platform.Contracts.Ingest;

namespace Platform.History.Features.RecordEcsEvents;

/// <summary>
/// Names the job a run belongs to. By default the task definition family (<c>…:task-definition/nightly-report:7</c>
/// is <c>nightly-report</c>); configured monitors will name jobs here.
/// </summary>
public class JobNaming
{
    public virtual string For(TaskStateChanged change) => change.Family;

    public virtual string For(TaskLaunchFailed failure) => failure.Family;

    public virtual string For(TaskLaunchRequested request) => request.Family;
}
