namespace Platform.ServiceDefaults.Configuration;

/// <summary>The platform's YAML file (<c>Platform:ConfigFile</c>): routes, silences, and (later) monitors.</summary>
public sealed record PlatformConfig(IReadOnlyList<RouteConfig> Routes, string? DefaultRoute, IReadOnlyList<SilenceConfig> Silences, StormConfig Storm)
{
    public static PlatformConfig Empty { get; } = new([], null, [], new StormConfig(5, TimeSpan.FromMinutes(2)));

    public IReadOnlyList<MonitorConfig> Monitors { get; init; } = [];

    /// <summary>The clusters the platform may act on (names or ARNs); empty: every cluster of the account.</summary>
    public IReadOnlyList<string> Clusters { get; init; } = [];

    /// <summary>Whether <paramref name="cluster"/> (a name or an ARN) is one the operator allowed the platform to act on.</summary>
    public bool Watches(string cluster) => Clusters.Count == 0 || Clusters.Any(c => Aws.EcsNames.Cluster(c) == Aws.EcsNames.Cluster(cluster));

    /// <summary>The launch retry policy of a job: its monitor's, or the defaults (jobs without a monitor get them too).</summary>
    public RetryPolicyConfig LaunchRetryFor(string job) =>
        MonitorFor(job)?.LaunchRetry ?? RetryPolicyConfig.DefaultLaunch;

    /// <summary>The routes a job's messages go to: every route that matches it, or else the default route.</summary>
    public IReadOnlyList<RouteConfig> RoutesFor(string job, string cluster)
    {
        var matching = Routes.Where(r => r.Matches(job, cluster) && r.Name != DefaultRoute).ToList();
        if (matching.Count > 0)
            return matching;
        return DefaultRoute is { } name && Routes.FirstOrDefault(r => r.Name == name) is { } fallback ? [fallback] : [];
    }

    public MonitorConfig? MonitorFor(string job) => Monitors.FirstOrDefault(m => m.Job == job);

    /// <summary>The job a task belongs to: the first monitor whose <c>match</c> it meets, else its family.</summary>
    public string JobFor(string family, string cluster) =>
        Monitors.FirstOrDefault(m => m.Match is { StateMachine: null } match && match.Matches(family, cluster))?.Job ?? family;

    /// <summary>The job a Step Functions execution belongs to: the first monitor whose <c>match.stateMachine</c> it meets, else the state machine's name.</summary>
    public string JobForStateMachine(string stateMachine) =>
        Monitors.FirstOrDefault(m => m.Match is { StateMachine: { } glob } && Glob.IsMatch(glob, stateMachine))?.Job ?? stateMachine;
}

/// <summary>What the platform watches for one job (the schedule issue adds to it).</summary>
public sealed record MonitorConfig(string Job, RetryPolicyConfig LaunchRetry)
{
    /// <summary>Runs still running this long after they were created are stopped.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Retrying runs that failed, by failure kind: off unless configured (the job may not be idempotent).</summary>
    public RetryPolicyConfig? FailureRetry { get; init; }

    /// <summary>Which tasks are this job's, when that is not simply the task definition family named like the job.</summary>
    public MonitorMatch? Match { get; init; }

    /// <summary>The containers whose exit decides success; empty: all of them (sidecars killed after a success excepted).</summary>
    public IReadOnlyList<string> Containers { get; init; } = [];

    /// <summary>When runs are due (EventBridge syntax), in <see cref="TimeZone"/>; null: the job has no schedule.</summary>
    public ScheduleExpression? Schedule { get; init; }

    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>How late a start may be before the slot counts as missed.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromMinutes(15);

    public const double DefaultSlowFactor = 1.5;

    /// <summary>A run longer than its job's baseline (median of recent successes) × this is slow.</summary>
    public double SlowFactor { get; init; } = DefaultSlowFactor;

    /// <summary>A run longer than this is slow, whatever the baseline.</summary>
    public TimeSpan? MaxDuration { get; init; }

    /// <summary>A successful run shorter than this is suspicious (it did nothing?): told like a slow run.</summary>
    public TimeSpan? MinDuration { get; init; }

    /// <summary>Alert on this many consecutive failures (the ones before listed in the alert); 1: on the first.</summary>
    public int AlertAfter { get; init; } = 1;

    /// <summary>An open incident recovers after this many consecutive successes; 1: on the first.</summary>
    public int RecoverAfter { get; init; } = 1;

    /// <summary>
    /// A pipeline: these jobs (or state machines' jobs) run in this order for each slot of <see cref="Schedule"/>, and
    /// the last must have succeeded by <see cref="ReadyBy"/>. Empty: the monitor is a job's.
    /// </summary>
    public IReadOnlyList<string> Pipeline { get; init; } = [];

    /// <summary>The time of day, in <see cref="TimeZone"/>, by which a pipeline's slot must be done.</summary>
    public TimeOnly? ReadyBy { get; init; }

    /// <summary>Or: how long after its slot a pipeline's slot must be done (for pipelines run more often than daily).</summary>
    public TimeSpan? ReadyWithin { get; init; }

    /// <summary>A pipeline with what judging it needs: steps, a schedule and a deadline (the parser refuses one without).</summary>
    public bool IsPipeline => Pipeline.Count > 0 && Schedule is not null && (ReadyBy is not null || ReadyWithin is not null);

    /// <summary>
    /// When a slot of a pipeline must be done: the first <see cref="ReadyBy"/> at or after it, in its time zone, or
    /// <see cref="ReadyWithin"/> after it.
    /// </summary>
    public DateTimeOffset DeadlineOf(DateTimeOffset slot)
    {
        if (ReadyWithin is { } within)
            return (slot + within).ToUniversalTime();
        var local = TimeZoneInfo.ConvertTime(slot, TimeZone);
        var day = local.Date;
        for (var i = 0; i < 3; i++, day = day.AddDays(1))
        {
            var at = day + ReadyBy!.Value.ToTimeSpan();
            // A wall time that daylight saving skips is taken an hour later, as EventBridge Scheduler does.
            if (TimeZone.IsInvalidTime(at))
                at = at.AddHours(1);
            var deadline = new DateTimeOffset(at, TimeZone.GetUtcOffset(at)).ToUniversalTime();
            if (deadline >= slot)
                return deadline;
        }
        return slot.AddDays(1);
    }
}

/// <summary>
/// Globs on the task definition family and the cluster name (a missing one matches everything), or on a Step
/// Functions state machine's name (then the monitor's runs are that state machine's executions).
/// </summary>
public sealed record MonitorMatch(string? Family, string? Cluster, string? StateMachine = null)
{
    public bool Matches(string family, string cluster) =>
        (Family is null || Glob.IsMatch(Family, family)) && (Cluster is null || Glob.IsMatch(Cluster, cluster));
}

/// <summary>
/// Step Functions' retry semantics: attempt n (the original launch is attempt 1) waits
/// <c>interval × backoffRate^(n−2)</c> after the failure of attempt n−1; at most <see cref="MaxAttempts"/> attempts.
/// </summary>
public sealed record RetryPolicyConfig(IReadOnlyList<string> Reasons, int MaxAttempts, TimeSpan Interval, double BackoffRate)
{
    /// <summary>
    /// An agent that did not answer, and a RunTask AWS refused for its own load or fault, are worth another try; a
    /// refusal for the request itself (AccessDenied, InvalidParameterException) would only be refused again.
    /// </summary>
    public static RetryPolicyConfig DefaultLaunch { get; } = new(["AGENT", "ThrottlingException", "ServerException"], 3, TimeSpan.FromSeconds(10), 2);

    /// <summary>
    /// The failure kinds a run may be retried for (kebab-case, as the API shows them). Launch failures have their own
    /// policy; a run stopped by a person or by its timeout is not retried.
    /// </summary>
    public static IReadOnlyList<string> RetriableKinds { get; } = ["exit-code", "out-of-memory", "failed-to-start", "infrastructure"];

    public TimeSpan DelayBefore(int attempt) => TimeSpan.FromTicks((long)(Interval.Ticks * Math.Pow(BackoffRate, Math.Max(0, attempt - 2))));

    public bool Covers(string reason) => Reasons.Contains(reason, StringComparer.Ordinal);

    /// <summary>A failure older than this (from its own time, as AWS reports it) is never relaunched.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>A destination for alerts and the jobs it wants. Secrets arrive through <c>${ENV}</c> references.</summary>
public sealed record RouteConfig(
    string Name,
    IReadOnlyList<string> Jobs,
    IReadOnlyList<string> Clusters,
    SlackConfig Slack,
    string? Mention,
    TimeSpan RepeatInterval,
    LogLinkConfig? Logs)
{
    /// <summary>When this route gets a digest of its jobs (successes, failures, gaps), if at all.</summary>
    public DigestConfig? Digest { get; init; }

    /// <summary>
    /// A route without <c>match</c> takes every job; <c>jobs</c> and <c>clusters</c> are globs (<c>*</c>, <c>?</c>). An
    /// alert without a cluster (a missed run) is matched by its job alone.
    /// </summary>
    public bool Matches(string job, string cluster) =>
        (Jobs.Count == 0 || Jobs.Any(g => Glob.IsMatch(g, job))) && (Clusters.Count == 0 || cluster.Length == 0 || Clusters.Any(g => Glob.IsMatch(g, cluster)));
}

/// <summary>An incoming webhook, a bot token with a channel (threads need it), or the console (no Slack at all).</summary>
public sealed record SlackConfig(string? WebhookUrl, string? BotToken, string? Channel, bool Console)
{
    public bool CanThread => BotToken is not null;
}

/// <summary>A digest's schedule: each tick ends a period that began at the previous one.</summary>
public sealed record DigestConfig(ScheduleExpression Schedule, TimeZoneInfo TimeZone);

/// <summary>Where a task's logs are: placeholders {job}, {container}, {taskId}, {family}.</summary>
public sealed record LogLinkConfig(string Group, string Stream);

public sealed record SilenceConfig(string? Job, string? Route, DateTimeOffset Until, string? Reason);

/// <summary>More than <see cref="Threshold"/> alerts to one destination within <see cref="Window"/> become one message.</summary>
public sealed record StormConfig(int Threshold, TimeSpan Window);

public static class Glob
{
    public static bool IsMatch(string pattern, string value) =>
        System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, value, ignoreCase: false);
}
