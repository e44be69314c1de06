using Marten;
using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.RecordEcsEvents;

namespace Platform.History.Features.SummarizeJobs;

/// <summary>
/// Folds the events that finish runs into their job's <see cref="JobSummary"/>. The recorder applies it in the same
/// commit as the events, which keeps a summary exactly as current as the runs it counts, and the missed-run detector
/// in the commit of the slots it records; <c>rebuild</c> replays it over the stored events.
/// </summary>
public static class JobSummaryProjection
{
    public static string? JobOf(object data) => data switch
    {
        RunFinished finished => finished.Job,
        LaunchFailureRecorded failed => failed.Job,
        RunMissedRecorded missed => missed.Job,
        _ => null,
    };

    public static JobSummary Next(JobSummary? summary, string job, object data) => data switch
    {
        RunFinished finished => (summary ?? JobSummary.Create(job)).Record(finished),
        LaunchFailureRecorded failed => (summary ?? JobSummary.Create(job)).Record(failed),
        RunMissedRecorded missed => (summary ?? JobSummary.Create(job)).Record(missed),
        _ => summary ?? JobSummary.Create(job),
    };

    /// <summary>
    /// Saves a folded summary. Summaries are checked for concurrent changes (the recorder and the missed-run detector
    /// both fold into them): one changed since it was loaded, or created meanwhile, fails the commit, which is retried.
    /// </summary>
    public static void Save(IDocumentSession session, JobSummary summary, bool isNew)
    {
        if (isNew)
            session.Insert(summary);
        else
            session.Store(summary);
    }
}
