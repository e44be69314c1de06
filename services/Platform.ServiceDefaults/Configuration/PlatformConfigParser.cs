using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Platform.ServiceDefaults.Configuration;

/// <summary>A config file that cannot be used; each error names the file, the line and the key.</summary>
public sealed class PlatformConfigException(IReadOnlyList<string> errors)
    : Exception("The platform config file is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads the platform's YAML file. The secret-bearing values (<c>webhookUrl</c>, <c>botToken</c>) may be
/// <c>${ENV_VAR}</c> references, which is how secrets get in without being written in the file; only variables named
/// <c>PLATFORM_…</c> or listed under <c>secrets:</c> may be referenced, so the file cannot copy the service's other
/// settings (its database password) into a message. Any other reference, and an unset variable, is an error that names
/// file, line and key, never a value.
/// </summary>
public sealed partial class PlatformConfigParser(string fileName, Func<string, string?> environment)
{
    private static readonly HashSet<string> TopLevelKeys = ["routes", "defaultRoute", "silences", "storm", "monitors", "clusters", "secrets"];
    private readonly List<string> errors = [];
    private readonly HashSet<string> secretNames = [];

    public static PlatformConfig Parse(string yaml, string fileName, Func<string, string?>? environment = null) =>
        new PlatformConfigParser(fileName, environment ?? Environment.GetEnvironmentVariable).Parse(yaml);

    private PlatformConfig Parse(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new PlatformConfigException([$"{fileName}:{e.Start.Line}: {e.Message}"]);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return PlatformConfig.Empty;
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new PlatformConfigException([$"{fileName}:1: the file must be a mapping with keys such as routes and defaultRoute"]);

        foreach (var key in root.Children.Keys.OfType<YamlScalarNode>().Where(k => !TopLevelKeys.Contains(k.Value!)))
            Error(key, key.Value!, $"unknown key (expected one of {string.Join(", ", TopLevelKeys)})");
        if (Child(root, "secrets") is not null)
            secretNames.UnionWith(Strings(root, "secrets", "secrets"));

        var routes = Sequence(root, "routes", "routes").Select((node, i) => Route(node, $"routes[{i}]")).OfType<RouteConfig>().ToList();
        foreach (var duplicate in routes.GroupBy(r => r.Name).Where(g => g.Count() > 1))
            Error(root, "routes", $"route name '{duplicate.Key}' is used {duplicate.Count()} times");

        var defaultRoute = String(root, "defaultRoute", "defaultRoute");
        if (defaultRoute is not null && routes.All(r => r.Name != defaultRoute))
            Error(Child(root, "defaultRoute")!, "defaultRoute", $"no route is named '{defaultRoute}'");

        var silences = Sequence(root, "silences", "silences").Select((node, i) => Silence(node, $"silences[{i}]", routes)).OfType<SilenceConfig>().ToList();
        var storm = Child(root, "storm") is YamlMappingNode stormNode
            ? new StormConfig(Int(stormNode, "threshold", "storm.threshold") ?? 5, Duration(stormNode, "window", "storm.window") ?? TimeSpan.FromMinutes(2))
            : PlatformConfig.Empty.Storm;

        var monitors = Sequence(root, "monitors", "monitors").Select((node, i) => Monitor(node, $"monitors[{i}]")).OfType<MonitorConfig>().ToList();

        var clusters = Child(root, "clusters") is null ? [] : Strings(root, "clusters", "clusters");

        if (errors.Count > 0)
            throw new PlatformConfigException(errors);
        return new PlatformConfig(routes, defaultRoute, silences, storm) { Monitors = monitors, Clusters = clusters };
    }

    private MonitorConfig? Monitor(YamlNode node, string path)
    {
        if (node is not YamlMappingNode monitor)
        {
            Error(node, path, "must be a mapping with job");
            return null;
        }
        var job = String(monitor, "job", path + ".job", required: true);
        var timeout = Duration(monitor, "timeout", path + ".timeout");
        var retry = Child(monitor, "retry") as YamlMappingNode;
        var launch = Policy(retry, "launch", path + ".retry.launch", RetryPolicyConfig.DefaultLaunch, "reasons", _ => true, "");
        var failure = Policy(retry, "failure", path + ".retry.failure", defaults: null, "kinds",
            RetryPolicyConfig.RetriableKinds.Contains, $" (one of {string.Join(", ", RetryPolicyConfig.RetriableKinds)})");
        var match = Child(monitor, "match") is YamlMappingNode matchNode
            ? new MonitorMatch(String(matchNode, "family", path + ".match.family"), String(matchNode, "cluster", path + ".match.cluster"),
                String(matchNode, "stateMachine", path + ".match.stateMachine"))
            : null;
        if (match is { StateMachine: not null } && (match.Family ?? match.Cluster) is not null)
            Error(Child(monitor, "match")!, path + ".match", "stateMachine matches executions, family and cluster match ECS tasks: give one or the other");
        var containers = Child(monitor, "containers") is null ? [] : Strings(monitor, "containers", path + ".containers");
        if (timeout is { } t && t <= TimeSpan.Zero)
            Error(Child(monitor, "timeout")!, path + ".timeout", "must be longer than 0");
        var source = ScheduleSourceOf(monitor, path);
        ScheduleExpression? schedule = null;
        if (String(monitor, "schedule", path + ".schedule") is { } scheduleText && !ScheduleExpression.TryParse(scheduleText, source, out schedule, out var scheduleError))
            Error(Child(monitor, "schedule")!, path + ".schedule", $"'{scheduleText}': {scheduleError}");
        var zone = Zone(monitor, path);
        // EventBridge rules have no time zone: their cron runs in UTC.
        if (source == ScheduleSource.Rule && (zone.BaseUtcOffset != TimeSpan.Zero || zone.SupportsDaylightSavingTime) && Child(monitor, "timezone") is { } zoneNode)
            Error(zoneNode, path + ".timezone", "an EventBridge rule's schedule runs in UTC; use scheduleSource: scheduler for a time zone");
        var grace = Duration(monitor, "grace", path + ".grace") ?? TimeSpan.FromMinutes(15);
        var maxDuration = Duration(monitor, "maxDuration", path + ".maxDuration");
        var factorText = String(monitor, "slowFactor", path + ".slowFactor");
        var slowFactor = MonitorConfig.DefaultSlowFactor;
        if (factorText is not null && (!double.TryParse(factorText, NumberStyles.Float, CultureInfo.InvariantCulture, out slowFactor) || slowFactor <= 1))
            Error(Child(monitor, "slowFactor")!, path + ".slowFactor", $"'{factorText}' is not a number above 1");
        var pipeline = Child(monitor, "pipeline") is null ? [] : Strings(monitor, "pipeline", path + ".pipeline");
        TimeOnly? readyBy = null;
        if (String(monitor, "readyBy", path + ".readyBy") is { } readyText)
        {
            if (TimeOnly.TryParseExact(readyText, ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                readyBy = parsed;
            else
                Error(Child(monitor, "readyBy")!, path + ".readyBy", $"'{readyText}' is not a time of day (HH:mm, in the monitor's timezone)");
        }
        var readyWithin = Duration(monitor, "readyWithin", path + ".readyWithin");
        if (Child(monitor, "pipeline") is { } pipelineNode && (pipeline.Count == 0 || schedule is null || (readyBy ?? (object?)readyWithin) is null))
            Error(pipelineNode, path + ".pipeline", "a pipeline needs its steps (jobs or state machines, in order), a schedule and readyBy (or readyWithin)");
        if (pipeline.Count == 0 && Child(monitor, "readyBy") is { } readyNode && readyBy is not null)
            Error(readyNode, path + ".readyBy", "readyBy is a pipeline's deadline: give pipeline: [steps] too");
        if (readyBy is not null && readyWithin is not null)
            Error(Child(monitor, "readyWithin")!, path + ".readyWithin", "give readyBy (a time of day) or readyWithin (a duration after the slot), not both");
                var minDuration = Duration(monitor, "minDuration", path + ".minDuration");
        var alertAfter = Count(monitor, "alertAfter", path + ".alertAfter");
        var recoverAfter = Count(monitor, "recoverAfter", path + ".recoverAfter");
        return job is null ? null : new MonitorConfig(job, launch ?? RetryPolicyConfig.DefaultLaunch)
        {
            FailureRetry = failure, Timeout = timeout, Match = match, Containers = containers,
            Schedule = schedule, TimeZone = zone, Grace = grace, MaxDuration = maxDuration, SlowFactor = slowFactor,
            MinDuration = minDuration, AlertAfter = alertAfter, RecoverAfter = recoverAfter, Pipeline = pipeline, ReadyBy = readyBy, ReadyWithin = readyWithin,
        };
    }

    private RetryPolicyConfig? Policy(YamlMappingNode? retry, string key, string at, RetryPolicyConfig? defaults, string listKey,
        Func<string, bool> isKnown, string known)
    {
        if (retry is null || Child(retry, key) is not YamlMappingNode node)
            return defaults;
        var template = defaults ?? RetryPolicyConfig.DefaultLaunch with { Reasons = [] };
        var reasons = Child(node, listKey) is null ? template.Reasons : Strings(node, listKey, $"{at}.{listKey}");
        foreach (var unknown in reasons.Where(r => !isKnown(r)))
            Error(Child(node, listKey)!, $"{at}.{listKey}", $"'{unknown}' is not a failure kind that can be retried{known}");
        if (reasons.Count == 0)
            Error(node, $"{at}.{listKey}", "required: the list of what is retried");
        var maxAttempts = Int(node, "maxAttempts", at + ".maxAttempts") ?? template.MaxAttempts;
        if (maxAttempts is < 1 or > 10)
            Error(Child(node, "maxAttempts")!, at + ".maxAttempts", "must be between 1 and 10 (the original attempt counts)");
        var interval = Duration(node, "interval", at + ".interval") ?? template.Interval;
        var maxAge = Duration(node, "maxAge", at + ".maxAge") ?? template.MaxAge;
        if (maxAge <= TimeSpan.Zero || maxAge > TimeSpan.FromDays(1))
            Error(Child(node, "maxAge")!, at + ".maxAge", "must be more than 0 and at most 1d (nothing older is relaunched)");
        var rateText = String(node, "backoffRate", at + ".backoffRate");
        var rate = template.BackoffRate;
        if (rateText is not null && (!double.TryParse(rateText, NumberStyles.Float, CultureInfo.InvariantCulture, out rate) || rate < 1))
            Error(Child(node, "backoffRate")!, at + ".backoffRate", $"'{rateText}' is not a number of at least 1");
        return new RetryPolicyConfig(reasons, maxAttempts, interval, rate) { MaxAge = maxAge };
    }

    private RouteConfig? Route(YamlNode node, string path)
    {
        if (node is not YamlMappingNode route)
        {
            Error(node, path, "must be a mapping with name and slack");
            return null;
        }
        var name = String(route, "name", path + ".name", required: true);
        var match = Child(route, "match") as YamlMappingNode;
        var jobs = match is null ? [] : Strings(match, "jobs", path + ".match.jobs");
        var clusters = match is null ? [] : Strings(match, "clusters", path + ".match.clusters");
        var slack = Slack(Child(route, "slack"), path + ".slack", route);
        var logs = Child(route, "logs") is YamlMappingNode logsNode
            ? new LogLinkConfig(String(logsNode, "group", path + ".logs.group", required: true) ?? "", String(logsNode, "stream", path + ".logs.stream", required: true) ?? "")
            : null;
        var repeat = Duration(route, "repeatInterval", path + ".repeatInterval") ?? TimeSpan.FromHours(4);
        var digest = Child(route, "digest") is YamlMappingNode digestNode ? Digest(digestNode, path + ".digest") : null;
        return name is null || slack is null ? null : new RouteConfig(name, jobs, clusters, slack, String(route, "mention", path + ".mention"), repeat, logs)
        {
            Digest = digest,
        };
    }

    private DigestConfig? Digest(YamlMappingNode node, string path)
    {
        var text = String(node, "schedule", path + ".schedule", required: true);
        ScheduleExpression? schedule = null;
        if (text is not null && !ScheduleExpression.TryParse(text, out schedule, out var error))
            Error(Child(node, "schedule")!, path + ".schedule", $"'{text}': {error}");
        var zone = Zone(node, path);
        return schedule is null ? null : new DigestConfig(schedule, zone);
    }

    private ScheduleSource ScheduleSourceOf(YamlMappingNode monitor, string path) =>
        String(monitor, "scheduleSource", path + ".scheduleSource") switch
        {
            null or "scheduler" => ScheduleSource.Scheduler,
            "rule" => ScheduleSource.Rule,
            var other => ErrorValue(Child(monitor, "scheduleSource")!, path + ".scheduleSource",
                $"'{other}' is not a schedule source (rule: an EventBridge rule; scheduler: EventBridge Scheduler)", ScheduleSource.Scheduler),
        };

    private TimeZoneInfo Zone(YamlMappingNode node, string path)
    {
        if (String(node, "timezone", path + ".timezone") is not { } zoneId)
            return TimeZoneInfo.Utc;
        if (TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone))
            return zone;
        Error(Child(node, "timezone")!, path + ".timezone", $"'{zoneId}' is not an IANA time zone (e.g. Europe/Berlin)");
        return TimeZoneInfo.Utc;
    }

    private SlackConfig? Slack(YamlNode? node, string path, YamlNode parent)
    {
        if (node is not YamlMappingNode slack)
        {
            Error(node ?? parent, path, "required: { webhookUrl: ${ENV} }, { botToken: ${ENV}, channel: \"#alerts\" } or { console: true }");
            return null;
        }
        var webhook = String(slack, "webhookUrl", path + ".webhookUrl", secret: true);
        var token = String(slack, "botToken", path + ".botToken", secret: true);
        var channel = String(slack, "channel", path + ".channel");
        var console = String(slack, "console", path + ".console") is "true";
        // Counted by the keys written, so a reference that could not be used is one error, not two.
        var kinds = (Child(slack, "webhookUrl") is null ? 0 : 1) + (Child(slack, "botToken") is null ? 0 : 1) + (console ? 1 : 0);
        if (kinds != 1)
            Error(slack, path, "set exactly one of webhookUrl, botToken (with channel) or console: true");
        if (webhook is not null && !Uri.TryCreate(webhook, UriKind.Absolute, out var uri))
            Error(Child(slack, "webhookUrl")!, path + ".webhookUrl", "is not an absolute URL");
        if (token is not null && channel is null)
            Error(slack, path + ".channel", "required with botToken");
        return new SlackConfig(webhook, token, channel, console);
    }

    private SilenceConfig? Silence(YamlNode node, string path, List<RouteConfig> routes)
    {
        if (node is not YamlMappingNode silence)
        {
            Error(node, path, "must be a mapping with job or route, and until");
            return null;
        }
        var job = String(silence, "job", path + ".job");
        var route = String(silence, "route", path + ".route");
        if (job is null && route is null)
            Error(silence, path, "set job or route");
        if (route is not null && routes.All(r => r.Name != route))
            Error(Child(silence, "route")!, path + ".route", $"no route is named '{route}'");
        var untilText = String(silence, "until", path + ".until", required: true);
        if (untilText is null)
            return null;
        if (!DateTimeOffset.TryParse(untilText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var until))
        {
            Error(Child(silence, "until")!, path + ".until", $"'{untilText}' is not an ISO 8601 time");
            return null;
        }
        return new SilenceConfig(job, route, until, String(silence, "reason", path + ".reason"));
    }

    private IReadOnlyList<YamlNode> Sequence(YamlMappingNode parent, string key, string path)
    {
        var node = Child(parent, key);
        if (node is null)
            return [];
        if (node is YamlSequenceNode sequence)
            return sequence.Children.ToList();
        Error(node, path, "must be a list");
        return [];
    }

    private IReadOnlyList<string> Strings(YamlMappingNode parent, string key, string path) =>
        Sequence(parent, key, path).Select((n, i) => n is YamlScalarNode s ? Plain(s, $"{path}[{i}]") : null).OfType<string>().ToList();

    private string? String(YamlMappingNode parent, string key, string path, bool required = false, bool secret = false)
    {
        var node = Child(parent, key);
        if (node is null || node is YamlScalarNode { Value: null or "" })
        {
            if (required)
                Error(node ?? parent, path, "required");
            return null;
        }
        if (node is YamlScalarNode scalar)
            return secret ? Substitute(scalar, path) : Plain(scalar, path);
        Error(node, path, "must be a single value");
        return null;
    }

    /// <summary>A count of consecutive runs (alertAfter, recoverAfter): 1 to 100, 1 when absent.</summary>
    private int Count(YamlMappingNode parent, string key, string path)
    {
        var value = Int(parent, key, path) ?? 1;
        if (value is >= 1 and <= 100)
            return value;
        Error(Child(parent, key)!, path, "must be between 1 and 100 (consecutive runs)");
        return 1;
    }

    private int? Int(YamlMappingNode parent, string key, string path)
    {
        var text = String(parent, key, path);
        if (text is null)
            return null;
        if (int.TryParse(text, CultureInfo.InvariantCulture, out var value) && value > 0)
            return value;
        Error(Child(parent, key)!, path, $"'{text}' is not a positive whole number");
        return null;
    }

    private TimeSpan? Duration(YamlMappingNode parent, string key, string path)
    {
        var text = String(parent, key, path);
        if (text is null)
            return null;
        if (DurationText.TryParse(text, out var value))
            return value;
        Error(Child(parent, key)!, path, $"'{text}' is not a duration such as 90s, 15m, 4h or 1d");
        return null;
    }

    /// <summary>A value that is not a secret: taken as written, and a <c>${…}</c> in it is an error, never expanded.</summary>
    private string? Plain(YamlScalarNode scalar, string path)
    {
        if (!EnvReference().IsMatch(scalar.Value ?? ""))
            return scalar.Value;
        Error(scalar, path, "${…} references are allowed only in webhookUrl and botToken");
        return null;
    }

    private string? Substitute(YamlScalarNode scalar, string path)
    {
        var failed = false;
        var value = EnvReference().Replace(scalar.Value ?? "", m =>
        {
            var name = m.Groups[1].Value;
            if (!name.StartsWith("PLATFORM_", StringComparison.Ordinal) && !secretNames.Contains(name))
            {
                Error(scalar, path, $"${{{name}}} may not be referenced: name secrets PLATFORM_… or list them under secrets:");
                failed = true;
                return "";
            }
            var found = environment(name);
            if (found is null)
            {
                Error(scalar, path, $"environment variable {name} is not set");
                failed = true;
            }
            return found ?? "";
        });
        return failed ? null : value;
    }

    private static YamlNode? Child(YamlMappingNode parent, string key) =>
        parent.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private void Error(YamlNode node, string path, string message) => errors.Add($"{fileName}:{node.Start.Line}: {path}: {message}");

    private T ErrorValue<T>(YamlNode node, string path, string message, T fallback)
    {
        Error(node, path, message);
        return fallback;
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex EnvReference();
}

public static class DurationText
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var match = Regex.Match(text.Trim(), @"^(\d+)(ms|s|m|h|d)$");
        if (!match.Success)
            return false;
        var n = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        value = match.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromDays(n),
        };
        return true;
    }

    /// <summary>The largest whole unit, as written in the file: 30m, 2h, 90s.</summary>
    public static string Format(TimeSpan value) => value switch
    {
        { Ticks: 0 } => "0s",
        _ when value.Ticks % TimeSpan.TicksPerDay == 0 => $"{(long)value.TotalDays}d",
        _ when value.Ticks % TimeSpan.TicksPerHour == 0 => $"{(long)value.TotalHours}h",
        _ when value.Ticks % TimeSpan.TicksPerMinute == 0 => $"{(long)value.TotalMinutes}m",
        _ when value.Ticks % TimeSpan.TicksPerSecond == 0 => $"{(long)value.TotalSeconds}s",
        _ => $"{(long)value.TotalMilliseconds}ms",
    };
}
