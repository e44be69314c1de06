using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.RecordEcsEvents;

namespace Platform.History.Features.SummarizeJobs;

/// <summary>
/// Folds the events that finish runs into their job's <see cref="JobSummary"/>. The recorder applies it in the same
/// commit as the events (history has a single writer, so no update can be lost), which keeps a summary exactly as
/// current as the runs it counts; <c>rebuild</c> replays it over the stored events.
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
}
