using Platform.Testing;
using Platform.ServiceDefaults.Configuration;
using Xunit;

namespace Platform.Notifier.Tests.Features.Configuration;

public class PlatformConfigParserTests
{
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["HOOK"] = "https://hooks.slack.com/services/T0/B0/abc", ["PLATFORM_TOKEN"] = "xoxb-1", ["TOKEN"] = "xoxb-1",
        ["ConnectionStrings__Postgres"] = "Host=db;Password=database-password", ["PLATFORM_BAD_URL"] = "not a url with secret-in-it",
    };

    [Fact]
    public void Routes_silences_and_storm_settings_are_read_with_secrets_from_the_environment()
    {
        var config = PlatformConfigParser.Parse("""
            secrets: [HOOK]
            routes:
              - name: data-team
                match: { jobs: ["etl-*", "nightly-report"], clusters: [batch] }
                slack: { webhookUrl: "${HOOK}" }
                mention: "<!subteam^S012ABC>"
                repeatInterval: 2h
              - name: ops
                slack: { botToken: "${PLATFORM_TOKEN}", channel: "#ops" }
            defaultRoute: ops
            silences:
              - { job: cleanup, until: "2030-01-01T00:00:00Z", reason: migration }
            storm: { threshold: 7, window: 90s }
            monitors: []
            """, "platform.yaml", Environment.GetValueOrDefault);

        Assert.Equal(["data-team", "ops"], config.Routes.Select(r => r.Name));
        var data = config.Routes[0];
        Assert.Equal("https://hooks.slack.com/services/T0/B0/abc", data.Slack.WebhookUrl);
        Assert.Equal(TimeSpan.FromHours(2), data.RepeatInterval);
        Assert.True(data.Matches("etl-orders", "batch"));
        Assert.True(data.Matches("nightly-report", "batch"));
        Assert.False(data.Matches("etl-orders", "web"));
        Assert.False(data.Matches("cleanup", "batch"));
        Assert.True(config.Routes[1].Slack.CanThread);
        Assert.Equal("ops", config.DefaultRoute);
        Assert.Equal("cleanup", Assert.Single(config.Silences).Job);
        Assert.Equal(new StormConfig(7, TimeSpan.FromSeconds(90)), config.Storm);
    }

    [Fact]
    public void Every_error_names_the_file_the_line_and_the_key_and_never_a_secret()
    {
        var error = Assert.Throws<PlatformConfigException>(() => PlatformConfigParser.Parse("""
            routes:
              - name: data-team
                slack: { webhookUrl: "${PLATFORM_MISSING_HOOK}" }
              - name: ops
                slack: { botToken: "${PLATFORM_TOKEN}" }
              - slack: { console: true }
                repeatInterval: soon
            defaultRoute: nobody
            silences:
              - { until: tomorrow }
            rutes: []
            """, "/etc/platform.yaml", Environment.GetValueOrDefault));

        Assert.Contains("/etc/platform.yaml:3: routes[0].slack.webhookUrl: environment variable PLATFORM_MISSING_HOOK is not set", error.Errors);
        Assert.Contains("/etc/platform.yaml:5: routes[1].slack.channel: required with botToken", error.Errors);
        Assert.Contains("/etc/platform.yaml:6: routes[2].name: required", error.Errors);
        Assert.Contains("/etc/platform.yaml:7: routes[2].repeatInterval: 'soon' is not a duration such as 90s, 15m, 4h or 1d", error.Errors);
        Assert.Contains("/etc/platform.yaml:8: defaultRoute: no route is named 'nobody'", error.Errors);
        Assert.Contains(error.Errors, e => e.StartsWith("/etc/platform.yaml:10: silences[0]: set job or route", StringComparison.Ordinal));
        Assert.Contains("/etc/platform.yaml:10: silences[0].until: 'tomorrow' is not an ISO 8601 time", error.Errors);
        Assert.Contains(error.Errors, e => e.StartsWith("/etc/platform.yaml:11: rutes: unknown key", StringComparison.Ordinal));
        Assert.DoesNotContain("xoxb-1", error.Message);
    }

    [Fact]
    public void Only_secret_fields_expand_and_only_variables_named_as_secrets_so_the_file_cannot_leak_the_services_settings()
    {
        var error = Assert.Throws<PlatformConfigException>(() => PlatformConfigParser.Parse("""
            routes:
              - name: leak
                slack: { webhookUrl: "${ConnectionStrings__Postgres}" }
                mention: "${ConnectionStrings__Postgres}"
              - name: bad
                slack: { webhookUrl: "${PLATFORM_BAD_URL}" }
                mention: "${PLATFORM_TOKEN}"
            monitors:
              - job: "${TOKEN}"
            """, "/etc/platform.yaml", Environment.GetValueOrDefault));

        Assert.Contains("/etc/platform.yaml:3: routes[0].slack.webhookUrl: ${ConnectionStrings__Postgres} may not be referenced: name secrets PLATFORM_… or list them under secrets:", error.Errors);
        Assert.Contains("/etc/platform.yaml:4: routes[0].mention: ${…} references are allowed only in webhookUrl and botToken", error.Errors);
        Assert.Contains("/etc/platform.yaml:6: routes[1].slack.webhookUrl: is not an absolute URL", error.Errors);
        Assert.Contains("/etc/platform.yaml:7: routes[1].mention: ${…} references are allowed only in webhookUrl and botToken", error.Errors);
        Assert.Contains("/etc/platform.yaml:9: monitors[0].job: ${…} references are allowed only in webhookUrl and botToken", error.Errors);
        Assert.DoesNotContain("database-password", error.Message);
        Assert.DoesNotContain("secret-in-it", error.Message);
        Assert.DoesNotContain("xoxb-1", error.Message);
    }

    [Fact]
    public void Broken_yaml_is_reported_with_its_line()
    {
        var error = Assert.Throws<PlatformConfigException>(() => PlatformConfigParser.Parse("routes:\n  - name: [unclosed\n", "p.yaml", Environment.GetValueOrDefault));
        Assert.StartsWith("p.yaml:", Assert.Single(error.Errors));
    }

    [Fact]
    public void Monitors_read_timeouts_matches_containers_and_both_retry_policies()
    {
        var config = PlatformConfigParser.Parse("""
            monitors:
              - job: nightly-report
                match: { family: "report-*", cluster: batch }
                timeout: 30m
                containers: [app]
                retry:
                  failure: { kinds: [infrastructure, failed-to-start], maxAttempts: 2, interval: 1m }
              - job: etl
                schedule: cron(0 2 * * ? *)
                timezone: Europe/Berlin
                grace: 20m
            """, "platform.yaml", Environment.GetValueOrDefault);

        var etl = config.MonitorFor("etl")!;
        Assert.Equal("cron(0 2 * * ? *)", etl.Schedule!.Text);
        Assert.Equal("Europe/Berlin", etl.TimeZone.Id);
        Assert.Equal(TimeSpan.FromMinutes(20), etl.Grace);
        var report = config.MonitorFor("nightly-report")!;
        Assert.Equal(TimeSpan.FromMinutes(30), report.Timeout);
        Assert.Equal(["app"], report.Containers);
        Assert.Same(RetryPolicyConfig.DefaultLaunch, report.LaunchRetry);
        var failure = report.FailureRetry!;
        Assert.Equal(["infrastructure", "failed-to-start"], failure.Reasons);
        Assert.Equal((2, TimeSpan.FromMinutes(1), 2.0), (failure.MaxAttempts, failure.Interval, failure.BackoffRate));
        Assert.Equal("nightly-report", config.JobFor("report-daily", "batch"));
        Assert.Equal("report-daily", config.JobFor("report-daily", "web"));
        Assert.Null(config.MonitorFor("etl")!.FailureRetry);
        Assert.Null(config.MonitorFor("etl")!.Timeout);
    }

    [Fact]
    public void A_monitor_matches_Step_Functions_executions_by_state_machine_and_not_tasks_as_well()
    {
        var config = PlatformConfigParser.Parse("""
            monitors:
              - job: etl-pipeline
                match: { stateMachine: "nightly-*" }
              - job: reports
                match: { family: "nightly-*" }
            """, "p.yaml", Environment.GetValueOrDefault);

        Assert.Equal("etl-pipeline", config.JobForStateMachine("nightly-etl"));
        Assert.Equal("weekly-etl", config.JobForStateMachine("weekly-etl"));
        // A task named like the state machine is still a task: the stateMachine monitor does not take it.
        Assert.Equal("reports", config.JobFor("nightly-etl", "batch"));

        var error = Assert.Throws<PlatformConfigException>(() => PlatformConfigParser.Parse("""
            monitors:
              - job: both
                match: { stateMachine: "etl", family: "etl" }
            """, "p.yaml", Environment.GetValueOrDefault));
        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:3: monitors[0].match: stateMachine matches executions, family and cluster match ECS tasks", StringComparison.Ordinal));
    }

    [Fact]
    public void An_alert_policy_is_read_and_counts_out_of_range_are_named()
    {
        var monitor = PlatformConfigParser.Parse("""
            monitors:
              - job: etl
                alertAfter: 3
                recoverAfter: 2
                minDuration: 30s
              - job: plain
            """, "p.yaml", Environment.GetValueOrDefault);
        Assert.Equal((3, 2, TimeSpan.FromSeconds(30)), (monitor.MonitorFor("etl")!.AlertAfter, monitor.MonitorFor("etl")!.RecoverAfter, monitor.MonitorFor("etl")!.MinDuration));
        Assert.Equal((1, 1, (TimeSpan?)null), (monitor.MonitorFor("plain")!.AlertAfter, monitor.MonitorFor("plain")!.RecoverAfter, monitor.MonitorFor("plain")!.MinDuration));

        var error = Assert.Throws<PlatformConfigException>(() => PlatformConfigParser.Parse("""
            monitors:
              - job: etl
                alertAfter: 0
                recoverAfter: 1000
            """, "p.yaml", Environment.GetValueOrDefault));
        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:3: monitors[0].alertAfter: '0' is not a pos", StringComparison.Ordinal));
        Assert.Contains("p.yaml:4: monitors[0].recoverAfter: must be between 1 and 100 (consecutive runs)", error.Errors);
    }

    [Fact]
    public void A_pipeline_needs_steps_a_schedule_and_readyBy_and_its_deadline_is_the_next_readyBy_in_its_zone()
    {
        var config = PlatformConfigParser.Parse("""
            monitors:
              - job: nightly-etl
                pipeline: [extract, transform, load]
                schedule: cron(0 23 * * ? *)
                timezone: Europe/Berlin
                readyBy: "07:00"
            """, "p.yaml", Environment.GetValueOrDefault);
        var pipeline = config.MonitorFor("nightly-etl")!;
        Assert.Equal(["extract", "transform", "load"], pipeline.Pipeline);
        // The 23:00 run is due by 07:00 the next morning (Berlin, UTC+1 in November; UTC+2 in summer).
        Assert.Equal(DateTimeOffset.Parse("2026-11-21T06:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            pipeline.DeadlineOf(DateTimeOffset.Parse("2026-11-20T22:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(DateTimeOffset.Parse("2026-07-02T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            pipeline.DeadlineOf(DateTimeOffset.Parse("2026-07-01T21:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));

        var hourly = PlatformConfigParser.Parse("""
            monitors:
              - job: hourly
                pipeline: [x, y]
                schedule: rate(1 hour)
                readyWithin: 45m
            """, "p.yaml", Environment.GetValueOrDefault).MonitorFor("hourly")!;
        var at = DateTimeOffset.Parse("2026-11-20T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(at.AddMinutes(45), hourly.DeadlineOf(at));

        var error = Assert.Throws<PlatformConfigException>(() => PlatformConfigParser.Parse("""
            monitors:
              - job: a
                pipeline: [x, y]
              - job: b
                readyBy: "7 o'clock"
              - job: c
                readyBy: "07:00"
            """, "p.yaml", Environment.GetValueOrDefault));
        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:3: monitors[0].pipeline: a pipeline needs its steps", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:5: monitors[1].readyBy: '7 o'clock' is not a time of day", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:7: monitors[2].readyBy: readyBy is a pipeline's deadline", StringComparison.Ordinal));
    }

    [Fact]
    public void A_failure_kind_that_cannot_be_retried_and_a_zero_timeout_are_named_with_their_lines()
    {
        var error = Assert.Throws<PlatformConfigException>(() => PlatformConfigParser.Parse("""
            monitors:
              - job: etl
                timeout: 0s
                retry:
                  failure: { kinds: [stopped-by-user], maxAttempts: 20 }
                schedule: cron(0 2 * * MON *)
                timezone: Mars/Olympus
            """, "p.yaml", Environment.GetValueOrDefault));

        Assert.Equal(5, error.Errors.Count);
        Assert.Contains("p.yaml:6: monitors[0].schedule: 'cron(0 2 * * MON *)': exactly one of day-of-month and day-of-week must be ?", error.Errors);
        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:7: monitors[0].timezone: 'Mars/Olympus' is not an IANA time zone", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:5: monitors[0].retry.failure.kinds: 'stopped-by-user' is not a failure kind that can be retried", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:5: monitors[0].retry.failure.maxAttempts: must be between 1 and 10", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:3: monitors[0].timeout: must be longer than 0", StringComparison.Ordinal));
    }

    [Fact]
    public void A_monitor_says_which_EventBridge_API_runs_its_schedule_and_a_rule_has_no_time_zone()
    {
        var config = PlatformConfigParser.Parse("""
            monitors:
              - job: every-two
                schedule: rate(2 minute)
              - job: nightly
                scheduleSource: rule
                schedule: cron(0 2 * * ? *)
                timezone: UTC
            """, "p.yaml", Environment.GetValueOrDefault);
        Assert.Equal(TimeSpan.FromMinutes(2), config.MonitorFor("every-two")!.Schedule!.Rate);
        Assert.NotNull(config.MonitorFor("nightly")!.Schedule);

        var error = Assert.Throws<PlatformConfigException>(() => PlatformConfigParser.Parse("""
            monitors:
              - job: every-two
                scheduleSource: rule
                schedule: rate(2 minute)
              - job: berlin
                scheduleSource: rule
                schedule: cron(0 2 * * ? *)
                timezone: Europe/Berlin
              - job: other
                scheduleSource: cron
            """, "p.yaml", Environment.GetValueOrDefault));

        Assert.Equal(3, error.Errors.Count);
        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:4: monitors[0].schedule: 'rate(2 minute)': write rate(2 minutes)", StringComparison.Ordinal));
        Assert.Contains("p.yaml:8: monitors[1].timezone: an EventBridge rule's schedule runs in UTC; use scheduleSource: scheduler for a time zone", error.Errors);
        Assert.Contains(error.Errors, e => e.StartsWith("p.yaml:10: monitors[2].scheduleSource: 'cron' is not a schedule source", StringComparison.Ordinal));
    }
}
