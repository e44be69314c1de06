using JasperFx.Events;
using Marten.Events.Projections;
using Platform.History.Features.RecordEcsEvents;

namespace Platform.History.Features.SummarizeJobs;

/// <summary>
/// Async: one daemon (elected across history instances) owns every job's summary, so concurrent writers can never
/// lose an update, and it reads only the few events that finish runs.
/// </summary>
public sealed class JobSummaryProjection : MultiStreamProjection<JobSummary, string>
{
    public JobSummaryProjection()
    {
        Identity<RunFinished>(e => e.Job);
        Identity<LaunchFailureRecorded>(e => e.Job);
    }

    public override JobSummary? Evolve(JobSummary? snapshot, string id, IEvent e) => e.Data switch
    {
        RunFinished finished => (snapshot ?? JobSummary.Create(id)).Record(finished),
        LaunchFailureRecorded failed => (snapshot ?? JobSummary.Create(id)).Record(failed),
        _ => snapshot,
    };
}
