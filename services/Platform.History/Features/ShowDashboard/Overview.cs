using Marten;
using Platform.History.Features.SummarizeJobs;
using Platform.ServiceDefaults.Configuration;

namespace Platform.History.Features.ShowDashboard;

public sealed record OverviewFilter(string? Status, string? Cluster, string? Route, string? Sort)
{
    /// <summary>Every status, most in need of attention first.</summary>
    public static readonly string[] Statuses = ["failing", "missed", "late", "unknown", "ok"];

    public string Query(string? status = null) =>
        string.Join("&", new[] { ("status", status ?? Status), ("cluster", Cluster), ("route", Route), ("sort", Sort) }
            .Where(p => !string.IsNullOrEmpty(p.Item2)).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
}

/// <summary>One job on the overview: its summary (status included) and what the overview counts from it.</summary>
public sealed record JobRow(JobSummary Job, IReadOnlyList<string> Routes, int Succeeded24h, int Failed24h, int Succeeded7d, int Failed7d)
{
    public string Status => Job.Status ?? "unknown";

    /// <summary>Lower needs more attention: failing first, then missed, late, unknown, ok.</summary>
    public int Attention => Array.IndexOf(OverviewFilter.Statuses, Status) is var i and >= 0 ? i : OverviewFilter.Statuses.Length;
}

/// <summary>A pipeline on the overview: its steps in order, and how its last settled slot went.</summary>
public sealed record PipelineRow(string Name, IReadOnlyList<string> Steps, WatchPipelines.PipelineStatus? Last, DateTimeOffset? NextDeadline)
{
    public string Status => Last is null ? "unknown" : Last.Ready ? "ok" : "late";

    public string StateOf(string step) => Last?.Steps.FirstOrDefault(s => s.Step == step)?.State ?? "unknown";
}

public sealed record OverviewModel(
    IReadOnlyList<JobRow> Rows, int Total, IReadOnlyDictionary<string, int> StatusCounts, IReadOnlyList<string> Clusters, IReadOnlyList<string> Routes,
    OverviewFilter Filter, DateTimeOffset Now, TimeSpan Refresh)
{
    /// <summary>What waits in the services' error queues: nothing that could not be stored or handled goes unseen.</summary>
    public KeepDeadLetters.DeadLetterTotals DeadLetters { get; init; } = new(0, 0, null);

    public IReadOnlyList<PipelineRow> Pipelines { get; init; } = [];
}

public static class Overview
{
    /// <summary>
    /// Everything from the job summaries (a projection kept current with each stored batch) and the config file: one
    /// query for the summaries and at most one for the scheduled jobs' latest starts, whatever the number of events.
    /// </summary>
    public static async Task<OverviewModel> BuildAsync(IQuerySession session, PlatformConfig config, OverviewFilter filter, DateTimeOffset now,
        TimeSpan refresh, CancellationToken ct)
    {
        var jobs = await JobEndpoints.AllAsync(session, config, now, ct);
        var all = jobs.Select(j => new JobRow(j, [.. config.RoutesFor(j.Id, j.Cluster ?? "").Select(r => r.Name)],
            j.SucceededSince(now.AddHours(-24)), j.FailedSince(now.AddHours(-24)), j.SucceededSince(now.AddDays(-7)), j.FailedSince(now.AddDays(-7)))).ToList();

        var rows = all.Where(r =>
            (string.IsNullOrEmpty(filter.Status) || r.Status == filter.Status)
            && (string.IsNullOrEmpty(filter.Cluster) || r.Job.Cluster == filter.Cluster)
            && (string.IsNullOrEmpty(filter.Route) || r.Routes.Contains(filter.Route)));
        rows = filter.Sort == "name"
            ? rows.OrderBy(r => r.Job.Id, StringComparer.Ordinal)
            : rows.OrderBy(r => r.Attention).ThenByDescending(r => r.Job.LastFailureAt).ThenBy(r => r.Job.Id, StringComparer.Ordinal);

        return new OverviewModel(
            [.. rows], all.Count,
            all.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count()),
            [.. all.Select(r => r.Job.Cluster).OfType<string>().Distinct().Order(StringComparer.Ordinal)],
            [.. config.Routes.Select(r => r.Name)],
            filter, now, refresh)
        {
            DeadLetters = await KeepDeadLetters.DeadLetterTotals.LoadAsync(session, ct),
            Pipelines = await PipelinesAsync(session, config, now, ct),
        };
    }

    private static async Task<IReadOnlyList<PipelineRow>> PipelinesAsync(IQuerySession session, PlatformConfig config, DateTimeOffset now, CancellationToken ct)
    {
        var pipelines = config.Monitors.Where(m => m.IsPipeline).ToList();
        if (pipelines.Count == 0)
            return [];
        var statuses = (await session.LoadManyAsync<WatchPipelines.PipelineStatus>(ct, pipelines.Select(p => p.Job).ToList())).ToDictionary(s => s.Id);
        return [.. pipelines.Select(p => new PipelineRow(p.Job, p.Pipeline, statuses.GetValueOrDefault(p.Job),
            p.Schedule!.Next(now, p.TimeZone) is { } slot ? p.DeadlineOf(slot) : null))];
    }
}
