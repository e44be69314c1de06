using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Contracts.History;
using Platform.Testing;
using Xunit;

namespace Platform.Notifier.Tests.Features.TrackIncidents;

[Collection(NotifierCollection.Name)]
public class AlertingTests(PostgresFixture postgres) : NotifierTestBase(postgres)
{
    [Fact]
    public async Task A_failure_is_posted_once_to_each_matching_route_with_what_lets_people_act()
    {
        var failed = NotifierApp.Failed("etl-orders", Day.AddHours(2), exitCode: 3);
        var id = Guid.NewGuid();
        await App.PublishAsync(failed, id);
        await App.PublishAsync(failed, id);
        await App.PublishAsync(NotifierApp.Failed("image-resize", Day.AddHours(2)));

        var posts = await WaitForPostsAsync(2);
        await SettleAsync();

        Assert.Equal(2, Slack.Posts.Count);
        var etl = Assert.Single(posts, p => p.Path.Contains("B000DATA"));
        Assert.Contains("etl-orders", etl.Text);
        Assert.Contains("app exited with code 3", etl.Text);
        var blocks = etl.BlockText;
        Assert.Contains("<!subteam^S012ABC>", blocks);
        Assert.Contains("exit 3", blocks);
        Assert.Contains("`batch`", blocks);
        Assert.Contains($"https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/batch/tasks/{failed.TaskArn.Split('/')[^1]}/configuration?region=eu-west-1", blocks);
        Assert.Contains("log-group/$252Fecs$252Fetl-orders/log-events/app$252Fapp$252F", blocks);
        Assert.Contains("2026-11-20 01:51:00 UTC", blocks);
        Assert.Contains("9m 0s", blocks);
        var other = Assert.Single(posts, p => p.Path.Contains("B000DEFAULT"));
        Assert.Contains("image-resize", other.Text);
    }

    [Fact]
    public async Task Missed_runs_found_together_are_one_alert_on_the_jobs_route_and_a_later_run_recovers_it()
    {
        var missed = new RunMissed("etl-orders", [Day.AddHours(1), Day.AddHours(2), Day.AddHours(3)], "cron(0 * * * ? *)", "Europe/Berlin", TimeSpan.FromMinutes(15));
        var id = Guid.NewGuid();
        await App.PublishAsync(missed, id);
        await App.PublishAsync(missed, id);

        var post = Assert.Single(await WaitForPostsAsync(1));
        Assert.Contains("B000DATA", post.Path);
        Assert.Equal("🕳️ etl-orders missed 3 runs, due 2026-11-20 02:00, 2026-11-20 03:00, 2026-11-20 04:00 Europe/Berlin", post.Text);
        Assert.Contains("within 15m of its schedule `cron(0 * * * ? *)`", post.BlockText);

        await App.PublishAsync(NotifierApp.Succeeded("etl-orders", Day.AddHours(4)));
        var posts = await WaitForPostsAsync(2);
        await SettleAsync();
        Assert.Equal(2, Slack.Posts.Count);
        Assert.Contains("recovered", posts[1].Text);
    }

    [Fact]
    public async Task A_pipeline_not_ready_by_its_deadline_is_one_alert_naming_the_step_and_showing_every_step()
    {
        var late = new PipelineLate("etl-nightly", Day.AddHours(1), Day.AddHours(6), "Europe/Berlin", new PipelineStep("transform", "failed", "app exited with code 3"),
            [new PipelineStep("extract", "succeeded"), new PipelineStep("transform", "failed", "app exited with code 3"), new PipelineStep("load", "not started")]);
        var id = Guid.NewGuid();
        await App.PublishAsync(late, id);
        await App.PublishAsync(late, id);

        var post = Assert.Single(await WaitForPostsAsync(1));
        await SettleAsync();
        Assert.Single(Slack.Posts);
        Assert.Contains("B000DATA", post.Path);
        Assert.Equal("🕖 etl-nightly not ready by 2026-11-20 07:00 Europe/Berlin: transform failed: app exited with code 3", post.Text);
        Assert.Contains("`load`: not started", post.BlockText);
    }

    [Fact]
    public async Task A_slow_run_is_posted_once_with_how_much_slower_it_was()
    {
        var slow = new RunSlow("etl-orders", "arn:aws:ecs:eu-west-1:123456789012:task/batch/s1", "batch", TimeSpan.FromSeconds(975), TimeSpan.FromSeconds(615), TimeSpan.FromSeconds(922));
        var id = Guid.NewGuid();
        await App.PublishAsync(slow, id);
        await App.PublishAsync(slow, id);

        var post = Assert.Single(await WaitForPostsAsync(1));
        await SettleAsync();
        Assert.Single(Slack.Posts);
        Assert.Contains("B000DATA", post.Path);
        Assert.Equal("🐢 etl-orders ran 16m 15s, 1.6× its usual 10m 15s", post.Text);
    }

    [Fact]
    public async Task A_job_that_keeps_failing_alerts_once_and_recovers_with_one_message()
    {
        await App.PublishAsync(NotifierApp.Failed("etl-orders", Day.AddHours(1)));
        await WaitForPostsAsync(1);
        await App.PublishAsync(NotifierApp.Failed("etl-orders", Day.AddHours(2)));
        await App.PublishAsync(NotifierApp.Failed("etl-orders", Day.AddHours(3)));
        // A success that ended before the latest failure (delivered late) does not end the incident.
        await App.PublishAsync(NotifierApp.Succeeded("etl-orders", Day.AddHours(2).AddMinutes(30)));
        await SettleAsync();
        Assert.Single(Slack.Posts);

        await App.PublishAsync(NotifierApp.Succeeded("etl-orders", Day.AddHours(4)));
        var posts = await WaitForPostsAsync(2);
        await SettleAsync();

        Assert.Equal(2, Slack.Posts.Count);
        Assert.Equal("✅ etl-orders recovered after 3 failures", posts[1].Text);
        await App.PublishAsync(NotifierApp.Succeeded("etl-orders", Day.AddHours(5)));
        await SettleAsync();
        Assert.Equal(2, Slack.Posts.Count);

        var incident = Assert.Single((await App.ApiClient().GetFromJsonAsync<JsonArray>("/incidents?job=etl-orders"))!)!;
        Assert.Equal(("recovered", 3, "sent"), (incident["state"]!.GetValue<string>(), incident["failures"]!.GetValue<int>(), incident["alertStatus"]!.GetValue<string>()));
        Assert.NotNull(incident["closedAt"]);
    }

    [Fact]
    public async Task On_a_webhook_route_a_job_still_failing_after_the_repeat_interval_gets_one_reminder()
    {
        await App.PublishAsync(NotifierApp.Failed("report-daily", Day.AddHours(1)));
        await WaitForPostsAsync(1);
        await App.PublishAsync(NotifierApp.Failed("report-daily", Day.AddHours(2)));
        await SettleAsync();
        Assert.Single(Slack.Posts);

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await App.PublishAsync(NotifierApp.Failed("report-daily", Day.AddHours(3), exitCode: 9));
        await App.PublishAsync(NotifierApp.Failed("report-daily", Day.AddHours(4)));
        var posts = await WaitForPostsAsync(2);
        await SettleAsync();

        Assert.Equal(2, Slack.Posts.Count);
        Assert.Equal("🔁 report-daily is still failing (3×): failed: app exited with code 9", posts[1].Text);
    }

    [Fact]
    public async Task On_a_bot_route_further_failures_and_the_recovery_go_into_the_first_alerts_thread()
    {
        await App.PublishAsync(NotifierApp.Failed("billing-export", Day.AddHours(1)));
        var root = (await WaitForPostsAsync(1))[0];
        await App.PublishAsync(NotifierApp.Failed("billing-export", Day.AddHours(2)));
        await App.PublishAsync(new LaunchFailed("launch:1", "billing-export", "batch", "billing-export:4", "eu-west-1", "123456789012", "RunTask",
            "events-rule/billing", "family:billing-export", "AGENT", [new Platform.Contracts.Ingest.LaunchFailure(null, "AGENT", null)],
            Day.AddHours(3), JsonDocumentOf("{}")));
        await App.PublishAsync(NotifierApp.Succeeded("billing-export", Day.AddHours(4)));

        var posts = await WaitForPostsAsync(4);
        Assert.Equal("Bearer xoxb-test-token-", posts[0].Authorization![..23]);
        Assert.Equal("#ops", root.Body["channel"]!.GetValue<string>());
        Assert.Null(root.ThreadTs);
        Assert.All(posts.Skip(1), p => Assert.Equal("1700000000.000001", p.ThreadTs));
        Assert.Contains("still failing (2×)", posts[1].Text);
        Assert.Contains("still failing (3×): never launched: AGENT", posts[2].Text);
        Assert.Equal("✅ billing-export recovered after 3 failures", posts[3].Text);
        Assert.True(posts[3].Body["reply_broadcast"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_silenced_job_is_not_posted_and_the_delivery_log_says_so_without_secrets()
    {
        var client = App.CreateClient();
        var silence = new { job = "etl-orders", until = DateTimeOffset.UtcNow.AddHours(1), reason = "maintenance" };
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/silences", silence)).StatusCode);
        client.DefaultRequestHeaders.Add("X-Api-Key", NotifierApp.AdminKey);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/silences", silence)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/silences", new { until = DateTimeOffset.UtcNow.AddHours(1) })).StatusCode);

        await App.PublishAsync(NotifierApp.Failed("etl-orders", Day.AddHours(1)));
        await App.PublishAsync(NotifierApp.Failed("nightly-report", Day.AddHours(1)));
        await WaitForPostsAsync(1);
        await SettleAsync();

        Assert.Contains("nightly-report", Assert.Single(Slack.Posts).Text);
        var log = await client.GetStringAsync("/deliveries?job=etl-orders");
        var entry = Assert.Single(JsonNode.Parse(log)!.AsArray())!;
        Assert.Equal("silenced", entry["status"]!.GetValue<string>());
        Assert.Equal("data-team", entry["route"]!.GetValue<string>());
        var all = await client.GetStringAsync("/deliveries");
        Assert.DoesNotContain("secret-", all);
        Assert.DoesNotContain("xoxb", all);
        Assert.DoesNotContain(Slack.BaseUrl, all);
    }

    private static System.Text.Json.JsonElement JsonDocumentOf(string json) => System.Text.Json.JsonDocument.Parse(json).RootElement.Clone();
}

[Collection(NotifierCollection.Name)]
public class RetryUpdateTests(PostgresFixture postgres) : NotifierTestBase(postgres)
{
    private static Platform.Contracts.History.LaunchFailed Launch(string job) => new("launch:" + job, job, "batch", job + ":4", "eu-west-1", "123456789012",
        "RunTask", "events-rule/" + job, "family:" + job, "AGENT", [new Platform.Contracts.Ingest.LaunchFailure(null, "AGENT", null)],
        new DateTimeOffset(2026, 11, 20, 2, 0, 0, TimeSpan.Zero), System.Text.Json.JsonDocument.Parse("{}").RootElement.Clone());

    [Fact]
    public async Task On_a_bot_route_one_incident_is_one_thread_failure_relaunch_and_outcome()
    {
        await App.PublishAsync(Launch("billing-export"));
        var root = (await WaitForPostsAsync(1))[0];
        await App.PublishAsync(new Platform.Contracts.Retry.RelaunchScheduled("0123456789abcdef", "billing-export", "batch", 2, 3, Day.AddHours(2).AddSeconds(10), "AGENT"));
        await App.PublishAsync(new Platform.Contracts.Retry.TaskRelaunched("0123456789abcdef", "billing-export", "batch", 2, 3, "arn:aws:ecs:eu-west-1:123456789012:task/batch/t2"));
        await App.PublishAsync(NotifierApp.Failed("billing-export", Day.AddHours(3)) with { StartedBy = "platform/0123456789abcdef/2" });
        await App.PublishAsync(new Platform.Contracts.Retry.RetriesExhausted("0123456789abcdef", "billing-export", "batch", 3, "AGENT"));

        var posts = await WaitForPostsAsync(5);
        await SettleAsync();

        Assert.Equal(5, Slack.Posts.Count);
        Assert.All(posts.Skip(1), p => Assert.Equal("1700000000.000001", p.ThreadTs));
        Assert.Null(root.ThreadTs);
        Assert.Equal("⏳ billing-export: relaunch attempt 2 of 3 at 02:00:10 UTC (AGENT)", posts[1].Text);
        Assert.Equal("↻ billing-export: attempt 2 of 3 started task t2", posts[2].Text);
        Assert.Contains("still failing (2×)", posts[3].Text);
        Assert.Equal("🛑 billing-export gave up after 3 attempts: AGENT", posts[4].Text);
    }

    [Fact]
    public async Task On_a_webhook_route_only_giving_up_is_posted_and_a_relaunched_run_shows_its_attempt()
    {
        await App.PublishAsync(Launch("etl-orders"));
        await WaitForPostsAsync(1);
        await App.PublishAsync(new Platform.Contracts.Retry.RelaunchScheduled("0123456789abcdef", "etl-orders", "batch", 2, 3, Day, "AGENT"));
        await App.PublishAsync(new Platform.Contracts.Retry.RetriesExhausted("0123456789abcdef", "etl-orders", "batch", 3, "AGENT"));
        var posts = await WaitForPostsAsync(2);
        await SettleAsync();
        Assert.Equal(2, Slack.Posts.Count);
        Assert.Equal("🛑 etl-orders gave up after 3 attempts: AGENT", posts[1].Text);

        await App.PublishAsync(NotifierApp.Failed("etl-customers", Day.AddHours(3)) with { StartedBy = "platform/0123456789abcdef/2" });
        var alert = (await WaitForPostsAsync(3))[2];
        Assert.Contains("2 (relaunched by Platform)", alert.BlockText);
    }
}
