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
/// Everything an event says is untrusted: it is escaped for mrkdwn everywhere (the top-level text included, which
/// notifications show), so it cannot mention anyone or make a link; links are built only from validated parts. Every
/// message is kept within Slack's limits (<see cref="SlackLimits"/>).
/// </summary>
public static class SlackMessageRenderer
{
    /// <summary>The fallback text, escaped whole (nothing in it is meant as markup) and within Slack's limit.</summary>
    private static SlackContent Content(string text, JsonArray blocks) => new(Truncate(Escape(text), SlackLimits.Text), blocks);

    public static SlackContent Failure(RunFailed run, RouteConfig route)
    {
        if (run.Execution is { } execution)
            return ExecutionFailure(run, execution, route);
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
            blocks.Add(Section("*Containers*\n" + ContainerLines(run.Containers)));
        blocks.Add(Links(run.Region, run.Cluster, run.TaskArn, run.TaskDefinitionArn, run.Containers.FirstOrDefault(c => c.ExitCode != 0)?.Name
            ?? run.Containers.FirstOrDefault()?.Name, route));
        return Content($"🔴 {title} (cluster {run.Cluster}, task {TaskId(run.TaskArn)})", blocks);
    }

    /// <summary>
    /// A Step Functions execution that failed, timed out or was aborted: the state that failed, the error and cause Step
    /// Functions gave, how many task attempts its retries used up, and the last ECS task of that state.
    /// </summary>
    private static SlackContent ExecutionFailure(RunFailed run, ExecutionOutcome execution, RouteConfig route)
    {
        var state = execution.FailedState is { } s ? $" in state `{Escape(s)}`" : "";
        var error = execution.Error ?? run.Reason;
        var blocks = new JsonArray
        {
            Header($"🔴 {run.Job} {(run.Kind == FailureKind.Failed ? "failed" : Describe(run.Kind, ""))}".TrimEnd(' ', '(', ')')),
            Section($"*{Escape(run.Job)}* (Step Functions) {Escape(run.Kind.Name())}{state}: *{Escape(error)}*" + Mention(route)),
            Fields(
                ("Failure", run.Kind.Name()),
                ("State", execution.FailedState ?? "–"),
                ("Started", Time(run.StartedAt)),
                ("Stopped", Time(run.StoppedAt)),
                ("Duration", DurationText(run.Duration)),
                ("Task attempts failed", execution.HistoryRead ? execution.FailedAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown")),
        };
        if (execution.Attempts is { Count: > 0 } attempts)
            blocks.Add(Section("*Task attempts*\n" + string.Join("\n", attempts.TakeLast(10).Select(a =>
                $"• `{Escape(a.State)}`: {(a.Succeeded ? "succeeded" : "failed" + (a.Error is { Length: > 0 } e ? " – " + Escape(e) : ""))} (task {Escape(AwsConsoleLinks.TaskId(a.TaskArn))})"))));
        if (execution.Cause is { Length: > 0 } cause)
            blocks.Add(Section("*Cause*\n" + Escape(cause.Length > 600 ? cause[..600] + "…" : cause)));
        if (run.Containers.Count > 0)
            blocks.Add(Section("*Containers of the last task*\n" + ContainerLines(run.Containers)));
        if (execution.LastTaskArn is { } task)
            blocks.Add(Links(run.Region, run.Cluster, task, run.TaskDefinitionArn, run.Containers.FirstOrDefault(c => c.ExitCode != 0)?.Name
                ?? run.Containers.FirstOrDefault()?.Name, route));
        var console = AwsConsoleLinks.Execution(run.Region, execution.ExecutionArn);
        var name = Escape(execution.ExecutionArn[(execution.ExecutionArn.LastIndexOf(':') + 1)..]).Replace("|", "¦", StringComparison.Ordinal);
        blocks.Add(Context(console is null ? $"Execution `{Escape(execution.ExecutionArn)}`" : $"<{console}|Execution {name}> · `{Escape(execution.ExecutionArn)}`"));
        return Content($"🔴 {run.Job} {run.Kind.Name()}{(execution.FailedState is { } f ? " in state " + f : "")}: {error}", blocks);
    }

    private static string ContainerLines(IEnumerable<ContainerOutcome> containers) => string.Join("\n", containers.Select(c =>
        $"• `{Escape(c.Name)}`: {(c.ExitCode is { } code ? $"exit {code}" : "no exit code")}{(c.Reason is { Length: > 0 } r ? " – " + Escape(r) : "")}"));

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
        return Content($"🔴 {launch.Job} never launched: {reasons} (cluster {launch.Cluster})", blocks);
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
        return Content($"🕳️ {missed.Job} {what}", blocks);
    }

    /// <summary>A pipeline not ready by its deadline: the step that was not done, and where every step stood.</summary>
    public static SlackContent PipelineLate(PipelineLate late, RouteConfig route)
    {
        var zone = Zone(late.TimeZone);
        var deadline = TimeZoneInfo.ConvertTime(late.Deadline, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var slot = TimeZoneInfo.ConvertTime(late.Slot, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var step = late.Step.State switch
        {
            "failed" => $"{late.Step.Step} failed{(late.Step.Reason is { Length: > 0 } r ? ": " + r : "")}",
            "running" => $"{late.Step.Step} is still running",
            _ => $"{late.Step.Step} never started",
        };
        var icon = new Dictionary<string, string> { ["succeeded"] = "✅", ["failed"] = "🔴", ["running"] = "⏳" };
        var blocks = new JsonArray
        {
            Header($"🕖 {late.Pipeline} not ready by {deadline}"),
            Section($"*{Escape(late.Pipeline)}* (run due {Escape(slot)} {Escape(late.TimeZone)}) was not ready by {Escape(deadline)}: *{Escape(step)}*" + Mention(route)),
            Section("*Steps*\n" + string.Join("\n", late.Steps.Select(s => $"{icon.GetValueOrDefault(s.State, "⚪")} `{Escape(s.Step)}`: {Escape(s.State)}"))),
        };
        return Content($"🕖 {late.Pipeline} not ready by {deadline} {late.TimeZone}: {step}", blocks);
    }

    /// <summary>
    /// One digest, as many messages as Slack's limits need (a route of a thousand jobs is several): each job's line is
    /// in one of them, and each says which part it is.
    /// </summary>
    public static IReadOnlyList<SlackContent> Digest(DigestReady digest)
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
            // A job's line must fit a section whatever its name: a very long name is cut, its state never.
            return $"{icon} *{Escape(Truncate(j.Job, 200))}* ({Escape(j.Status)}): {Escape(string.Join(", ", parts))}";
        }).ToList();
        var totals = $"{digest.Jobs.Sum(j => j.Successes)} succeeded, {digest.Jobs.Sum(j => j.Failures + j.LaunchFailures)} failed, {digest.Jobs.Sum(j => j.MissedSlots)} missed";
        var sections = lines.Count == 0 ? [Section("No jobs on this route yet. The platform is watching.")] : PackLines(lines).Select(Section).ToList();
        // Two blocks of each message are its header and period.
        var parts = sections.Chunk(SlackLimits.Blocks - 2).ToList();
        return parts.Select((chunk, i) =>
        {
            var part = parts.Count == 1 ? "" : $" ({i + 1}/{parts.Count})";
            var blocks = new JsonArray { Header($"📋 Digest for {digest.Route}{part}"), Section(Escape(period)) };
            foreach (var section in chunk)
                blocks.Add(section);
            return Content($"📋 Digest for {digest.Route}{part}, {period}: {digest.Jobs.Count} job(s), {totals}", blocks);
        }).ToList();
    }

    /// <summary>Lines joined into as few section texts as Slack's section limit allows, none split.</summary>
    private static IEnumerable<string> PackLines(IEnumerable<string> lines)
    {
        var current = new System.Text.StringBuilder();
        foreach (var line in lines)
        {
            if (current.Length > 0 && current.Length + 1 + line.Length > SlackLimits.SectionText)
            {
                yield return current.ToString();
                current.Clear();
            }
            current.Append(current.Length > 0 ? "\n" : "").Append(line);
        }
        if (current.Length > 0)
            yield return current.ToString();
    }

    public static string SlowText(RunSlow slow) => slow.TooShort
        ? $"⚡ {slow.Job} succeeded in only {DurationText(slow.Duration)}, under its minimum of {DurationText(slow.Threshold)}: did it do its work?"
        : $"🐢 {slow.Job} ran {DurationText(slow.Duration)}, " + (slow.Baseline is { } baseline
            ? $"{(slow.Duration / baseline).ToString("0.0", CultureInfo.InvariantCulture)}× its usual {DurationText(baseline)}"
            : $"over its limit of {DurationText(slow.Threshold)}");

    /// <summary>The zone a message names; a zone this machine does not know shows the times in UTC.</summary>
    private static TimeZoneInfo Zone(string id) => TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>An alert held back by the monitor's alertAfter, with the failures before it listed (oldest first).</summary>
    public static SlackContent WithEarlierFailures(SlackContent alert, IReadOnlyList<string> earlier)
    {
        var blocks = (JsonArray)alert.Blocks.DeepClone();
        var list = string.Join("\n", earlier.TakeLast(10).Select(line => "• " + Escape(line)));
        blocks.Insert(Math.Min(2, blocks.Count), Section($"*{earlier.Count + 1} failures in a row*; before this one:\n{list}"));
        // The alert's text is escaped already.
        return new SlackContent(Truncate(alert.Text + $" ({earlier.Count + 1} failures in a row)", SlackLimits.Text), blocks);
    }

    public static SlackContent RetryUpdate(string text) => Content(text, [Section(Escape(text))]);

    public static SlackContent StillFailing(string job, int failures, string latest) => Content(
        $"🔁 {job} is still failing ({failures}×): {latest}",
        [Section($"🔁 *{Escape(job)}* is still failing ({failures}×). Latest: {Escape(latest)}")]);

    public static SlackContent Recovery(string job, int failures, RunSucceeded run) => Content(
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
        return Content(
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
        FailureKind.Failed => $"failed: {reason}",
        FailureKind.Aborted => $"was aborted ({reason})",
        _ => reason,
    };

    private static JsonObject Links(string region, string cluster, string taskArn, string taskDefinitionArn, string? container, RouteConfig route)
    {
        var task = AwsConsoleLinks.Task(region, cluster, taskArn);
        var logs = AwsConsoleLinks.Logs(region, taskDefinitionArn, taskArn, container, route.Logs);
        var label = $"Task {Escape(TaskId(taskArn)).Replace("|", "¦", StringComparison.Ordinal)}";
        return Context(task is null || logs is null
            ? $"{label} · `{Escape(taskArn)}`"
            : $"<{task}|{label}> · <{logs}|Logs> · `{Escape(taskArn)}`");
    }

    private static string TaskId(string taskArn) => AwsConsoleLinks.TaskId(taskArn);

    private static string Mention(RouteConfig route) => route.Mention is { Length: > 0 } m ? "\n" + m : "";

    private static string Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "–";

    private static string DurationText(TimeSpan? duration) => duration is { } d
        ? d.TotalHours >= 1 ? $"{(int)d.TotalHours}h {d.Minutes}m {d.Seconds}s" : d.TotalMinutes >= 1 ? $"{d.Minutes}m {d.Seconds}s" : $"{d.Seconds}s"
        : "–";

    // Slack's mrkdwn needs only these three escaped.
    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static JsonObject Header(string text) => new()
    {
        ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Truncate(text, SlackLimits.HeaderText) },
    };

    private static JsonObject Section(string markdown) => new() { ["type"] = "section", ["text"] = Markdown(Truncate(markdown, SlackLimits.SectionText)) };

    private static JsonObject Context(string markdown) => new() { ["type"] = "context", ["elements"] = new JsonArray(Markdown(Truncate(markdown, SlackLimits.SectionText))) };

    private static JsonObject Fields(params (string Name, string Value)[] fields) => new()
    {
        ["type"] = "section",
        ["fields"] = new JsonArray([.. fields.Take(SlackLimits.Fields).Select(f => (JsonNode)Markdown(Truncate($"*{f.Name}*\n{Escape(f.Value)}", SlackLimits.FieldText)))]),
    };

    private static JsonObject Markdown(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    // Cut by text elements, so an emoji or a surrogate pair is never split into invalid UTF-16.
    private static string Truncate(string text, int max)
    {
        if (text.Length <= max)
            return text;
        var end = 0;
        var enumerator = StringInfo.GetTextElementEnumerator(text);
        while (enumerator.MoveNext() && enumerator.ElementIndex + enumerator.GetTextElement().Length <= max - 1)
            end = enumerator.ElementIndex + enumerator.GetTextElement().Length;
        return text[..end] + "…";
    }
}
