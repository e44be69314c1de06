using System.Globalization;
using System.Text.Json.Nodes;
using Platform.Contracts.Digest;
using Platform.Contracts.History;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Notifier.Features.RenderSlackMessages;

/// <summary>A Slack message: Block Kit blocks plus the fallback text notifications and old clients show.</summary>
public sealed record SlackContent(string Text, JsonArray Blocks);

/// <summary>
/// Renders alerts in Slack Block Kit: what failed, in words; each container with its exit code and reason; the task,
/// its times and duration; and links to the task in the ECS console and to its CloudWatch Logs.
/// </summary>
public static class SlackMessageRenderer
{

    public static SlackContent Failure(RunFailed run, RouteConfig route)
    {
        var what = Describe(run.Kind, run.Reason);
        var title = $"{run.Job} {what}";
        var blocks = new JsonArray
        {
            Header($"🔴 {run.Job} failed"),
            Section($"*{Escape(run.Job)}* {Escape(what)} on cluster `{Escape(run.Cluster)}`" + Mention(route)),
            Fields(
                ("Failure", run.Kind.Name()),
                ("Stop code", run.StopCode ?? "–"),
                ("Started", Time(run.StartedAt)),
                ("Stopped", Time(run.StoppedAt)),
                ("Duration", DurationText(run.Duration)),
                RelaunchMarker.TryParse(run.StartedBy, out _, out var attempt) ? ("Attempt", $"{attempt} (relaunched by Platform)") : ("Started by", run.StartedBy ?? "–")),
        };
        if (run.Containers.Count > 0)
            blocks.Add(Section("*Containers*\n" + string.Join("\n", run.Containers.Select(c =>
                $"• `{Escape(c.Name)}`: {(c.ExitCode is { } code ? $"exit {code}" : "no exit code")}{(c.Reason is { Length: > 0 } r ? " – " + Escape(r) : "")}"))));
        blocks.Add(Links(run.Region, run.Cluster, run.TaskArn, run.TaskDefinitionArn, run.Containers.FirstOrDefault(c => c.ExitCode != 0)?.Name
            ?? run.Containers.FirstOrDefault()?.Name, route));
        return new SlackContent($"🔴 {title} (cluster {run.Cluster}, task {TaskId(run.TaskArn)})", blocks);
    }

    public static SlackContent LaunchFailure(LaunchFailed launch, RouteConfig route)
    {
        var reasons = string.Join(", ", launch.Failures.Select(f => f.Reason).Distinct());
        var details = launch.Failures.Where(f => f.Detail is { Length: > 0 } || f.Arn is { Length: > 0 })
            .Select(f => $"• {Escape(f.Reason)}{(f.Detail is { Length: > 0 } d ? " – " + Escape(d) : "")}{(f.Arn is { Length: > 0 } a ? $" (`{Escape(a)}`)" : "")}");
        var blocks = new JsonArray
        {
            Header($"🔴 {launch.Job} never launched"),
            Section($"*{Escape(launch.Job)}* never launched: *{Escape(reasons)}* ({Escape(launch.EventName)} on cluster `{Escape(launch.Cluster)}`, no task was started)" + Mention(route)),
            Fields(("Task definition", launch.TaskDefinition), ("At", Time(launch.Time)), ("Started by", launch.StartedBy ?? "–")),
        };
        var detailText = string.Join("\n", details);
        if (detailText.Length > 0)
            blocks.Add(Section("*Failures*\n" + detailText));
        return new SlackContent($"🔴 {launch.Job} never launched: {reasons} (cluster {launch.Cluster})", blocks);
    }

    public static SlackContent MissedRun(RunMissed missed, RouteConfig route)
    {
        var zone = Zone(missed.TimeZone);
        var slots = missed.Slots.Select(s => TimeZoneInfo.ConvertTime(s, zone).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var what = slots.Count == 1 ? $"missed its run due {slots[0]} {missed.TimeZone}" : $"missed {slots.Count} runs, due {string.Join(", ", slots.Take(5))}{(slots.Count > 5 ? ", …" : "")} {missed.TimeZone}";
        var blocks = new JsonArray
        {
            Header($"🕳️ {missed.Job} {(slots.Count == 1 ? "missed a run" : $"missed {slots.Count} runs")}"),
            Section($"*{Escape(missed.Job)}* {Escape(what)}: no task was created within {Escape(Platform.ServiceDefaults.Configuration.DurationText.Format(missed.Grace))} of its schedule `{Escape(missed.Schedule)}`" + Mention(route)),
        };
        return new SlackContent($"🕳️ {missed.Job} {what}", blocks);
    }

    public static SlackContent Digest(DigestReady digest)
    {
        var zone = Zone(digest.TimeZone);
        string Local(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        string Clock(DateTimeOffset? t) => t is { } v ? TimeZoneInfo.ConvertTime(v, zone).ToString("HH:mm", CultureInfo.InvariantCulture) : "–";
        var period = $"{Local(digest.From)} – {Local(digest.To)} {digest.TimeZone}";
        var lines = digest.Jobs.Select(j =>
        {
            var icon = j.Status switch { "failing" => "🔴", "missed" => "🕳️", "late" => "⏳", _ => j.Failures + j.LaunchFailures + j.MissedSlots > 0 ? "🟡" : "✅" };
            var parts = new List<string> { j.Successes == 0 ? "no successes" : $"{j.Successes} succeeded ({Clock(j.EarliestSuccess)}–{Clock(j.LatestSuccess)})" };
            if (j.Failures > 0)
                parts.Add($"{j.Failures} failed ({string.Join(", ", j.FailuresByKind.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))})");
            if (j.LaunchFailures > 0)
                parts.Add($"{j.LaunchFailures} never launched");
            if (j.Relaunches > 0)
                parts.Add($"{j.Relaunches} relaunched");
            if (j.MissedSlots > 0)
                parts.Add($"{j.MissedSlots} missed");
            if (j.MedianDuration is { } median)
                parts.Add($"median {DurationText(median)}, max {DurationText(j.MaxDuration)}");
            return $"{icon} *{Escape(j.Job)}* ({j.Status}): {Escape(string.Join(", ", parts))}";
        }).ToList();
        var blocks = new JsonArray { Header($"📋 Digest for {digest.Route}"), Section(Escape(period)) };
        foreach (var chunk in lines.Chunk(20))
            blocks.Add(Section(string.Join("\n", chunk)));
        if (lines.Count == 0)
            blocks.Add(Section("No jobs on this route yet. The platform is watching."));
        var totals = $"{digest.Jobs.Sum(j => j.Successes)} succeeded, {digest.Jobs.Sum(j => j.Failures + j.LaunchFailures)} failed, {digest.Jobs.Sum(j => j.MissedSlots)} missed";
        return new SlackContent($"📋 Digest for {digest.Route}, {period}: {digest.Jobs.Count} job(s), {totals}", blocks);
    }

    public static string SlowText(RunSlow slow) =>
        $"🐢 {slow.Job} ran {DurationText(slow.Duration)}, " + (slow.Baseline is { } baseline
            ? $"{(slow.Duration / baseline).ToString("0.0", CultureInfo.InvariantCulture)}× its usual {DurationText(baseline)}"
            : $"over its limit of {DurationText(slow.Threshold)}");

    /// <summary>The zone a message names; a zone this machine does not know shows the times in UTC.</summary>
    private static TimeZoneInfo Zone(string id) => TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;

    public static SlackContent RetryUpdate(string text) => new(text, [Section(Escape(text))]);

    public static SlackContent StillFailing(string job, int failures, string latest) => new(
        $"🔁 {job} is still failing ({failures}×): {latest}",
        [Section($"🔁 *{Escape(job)}* is still failing ({failures}×). Latest: {Escape(latest)}")]);

    public static SlackContent Recovery(string job, int failures, RunSucceeded run) => new(
        $"✅ {job} recovered after {failures} failure{(failures == 1 ? "" : "s")}",
        [Section($"✅ *{Escape(job)}* recovered after {failures} failure{(failures == 1 ? "" : "s")} (task `{Escape(TaskId(run.TaskArn))}` succeeded at {Time(run.StoppedAt)})")]);

    /// <summary>
    /// One message for a burst of alerts. They are not all failures (slow and missed runs alert too), and a job can
    /// alert several times alike (each slow run alerts on its own), so alike lines are counted, not repeated.
    /// </summary>
    public static SlackContent Storm(IReadOnlyList<(string Job, string Summary)> alerts)
    {
        var jobs = alerts.Select(a => a.Job).Distinct().ToList();
        var lines = alerts.CountBy(a => (a.Job, a.Summary))
            .Select(g => $"• *{Escape(g.Key.Job)}*: {Escape(g.Key.Summary)}" + (g.Value > 1 ? $" (×{g.Value})" : ""));
        return new(
            jobs.Count == 1 ? $"🔴 {alerts.Count} alerts for {jobs[0]}" : $"🔴 {alerts.Count} alerts for {jobs.Count} jobs: {string.Join(", ", jobs)}",
            [
                Header($"🔴 {alerts.Count} alerts at once"),
                Section(string.Join("\n", lines)),
                Context("Grouped because many alerts reached this destination within a short time; each job's details are in its run history."),
            ]);
    }

    /// <summary>The failure in words, as a person would say it.</summary>
    public static string Describe(FailureKind kind, string reason) => kind switch
    {
        FailureKind.ExitCode => reason.Contains("exited with code", StringComparison.Ordinal) ? "failed: " + reason : $"exited with an error: {reason}",
        FailureKind.OutOfMemory => $"ran out of memory ({reason})",
        FailureKind.FailedToStart => $"failed to start: {reason}",
        FailureKind.Infrastructure => $"was interrupted by the infrastructure: {reason}",
        FailureKind.StoppedByUser => $"was stopped by a user ({reason})",
        FailureKind.TimedOut => $"timed out ({reason})",
        FailureKind.LaunchFailed => $"never launched: {reason}",
        _ => reason,
    };

    private static JsonObject Links(string region, string cluster, string taskArn, string taskDefinitionArn, string? container, RouteConfig route) =>
        Context($"<{AwsConsoleLinks.Task(region, cluster, taskArn)}|Task {TaskId(taskArn)}> · <{AwsConsoleLinks.Logs(region, taskDefinitionArn, taskArn, container, route.Logs)}|Logs> · `{Escape(taskArn)}`");

    private static string TaskId(string taskArn) => AwsConsoleLinks.TaskId(taskArn);

    private static string Mention(RouteConfig route) => route.Mention is { Length: > 0 } m ? "\n" + m : "";

    private static string Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "–";

    private static string DurationText(TimeSpan? duration) => duration is { } d
        ? d.TotalHours >= 1 ? $"{(int)d.TotalHours}h {d.Minutes}m {d.Seconds}s" : d.TotalMinutes >= 1 ? $"{d.Minutes}m {d.Seconds}s" : $"{d.Seconds}s"
        : "–";

    // Slack's mrkdwn needs only these three escaped.
    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static JsonObject Header(string text) => new() { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Truncate(text, 150) } };

    private static JsonObject Section(string markdown) => new() { ["type"] = "section", ["text"] = Markdown(Truncate(markdown, 3000)) };

    private static JsonObject Context(string markdown) => new() { ["type"] = "context", ["elements"] = new JsonArray(Markdown(Truncate(markdown, 3000))) };

    private static JsonObject Fields(params (string Name, string Value)[] fields) => new()
    {
        ["type"] = "section",
        ["fields"] = new JsonArray([.. fields.Select(f => (JsonNode)Markdown($"*{f.Name}*\n{Escape(f.Value)}"))]),
    };

    private static JsonObject Markdown(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
