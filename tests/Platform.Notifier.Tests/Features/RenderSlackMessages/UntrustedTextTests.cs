using Platform.Contracts.Digest;
using Platform.Contracts.History;
using Platform.Testing;
using Xunit;

namespace Platform.Notifier.Tests.Features.RenderSlackMessages;

/// <summary>
/// What an event says reaches Slack inert and whole: no mention, no link, nothing over Slack's limits, and a message
/// Slack refuses still arrives. The fake Slack refuses blocks over Block Kit's documented limits, as Slack does.
/// </summary>
[Collection(NotifierCollection.Name)]
public class UntrustedTextTests(PostgresFixture postgres) : NotifierTestBase(postgres)
{
    private const string Attack = "<!channel> <https://evil.example|click to fix> & <@U0ATTACKER>";

    private static IEnumerable<string> EveryText(SlackPost post) => [post.Text, post.BlockText];

    [Fact]
    public async Task Event_text_cannot_mention_or_link_anywhere_in_the_message_and_a_forged_region_gets_no_console_link()
    {
        var failed = NotifierApp.Failed("etl-orders", Day.AddHours(2)) with
        {
            Reason = "Essential container exited " + Attack,
            Containers = [new ContainerOutcome("app", 1, Attack), new ContainerOutcome("log-router", 0, null)],
            StartedBy = Attack,
            Region = "evil.example/#",
        };
        await App.PublishAsync(failed);

        var post = Assert.Single(await WaitForPostsAsync(1));
        foreach (var text in EveryText(post))
        {
            Assert.DoesNotContain("<!channel>", text);
            Assert.DoesNotContain("<https://evil.example", text);
            Assert.DoesNotContain("<@U0ATTACKER>", text);
            Assert.DoesNotContain("evil.example/#.console", text);
        }
        Assert.Contains("&lt;!channel&gt;", post.Text);
        Assert.DoesNotContain("console.aws.amazon.com", post.BlockText);
        // The route's own mention, from the operator's file, still works.
        Assert.Contains("<!subteam^S012ABC>", post.BlockText);
    }

    [Fact]
    public async Task A_failed_Step_Functions_execution_names_its_state_error_cause_and_last_task_and_its_text_stays_inert()
    {
        const string execution = "arn:aws:states:eu-west-1:123456789012:execution:nightly-etl:run-42";
        var failed = NotifierApp.Failed("nightly-etl", Day.AddHours(2)) with
        {
            Kind = FailureKind.Failed,
            Reason = "States.TaskFailed",
            Execution = new ExecutionOutcome(execution, "arn:aws:states:eu-west-1:123456789012:stateMachine:nightly-etl", "transform",
                "States.TaskFailed", "{\"StoppedReason\":\"" + Attack + "\"}" + new string('c', 3_000),
                "arn:aws:ecs:eu-west-1:123456789012:task/batch/x-t3", 3,
                Attempts: [new ExecutionAttempt("transform", "arn:aws:ecs:eu-west-1:123456789012:task/batch/x-t1", false, "States.TaskFailed"),
                    new ExecutionAttempt(Attack, "arn:aws:ecs:eu-west-1:123456789012:task/batch/x-t3", false, Attack)]),
        };
        await App.PublishAsync(failed);

        var post = Assert.Single(await WaitForPostsAsync(1));
        await SettleAsync();
        Assert.Empty(Slack.RefusedBlocks);
        Assert.Contains("nightly-etl failed in state transform: States.TaskFailed", post.Text);
        Assert.Contains("Task attempts failed", post.BlockText);
        Assert.Contains("states/home?region=eu-west-1#/v2/executions/details/" + Uri.EscapeDataString(execution), post.BlockText);
        Assert.Contains("ecs/v2/clusters/batch/tasks/x-t3", post.BlockText);
        Assert.Contains("• `transform`: failed – States.TaskFailed (task x-t1)", post.BlockText);
        foreach (var text in EveryText(post))
        {
            Assert.DoesNotContain("<!channel>", text);
            Assert.DoesNotContain("<https://evil.example", text);
        }
    }

    [Fact]
    public async Task Values_over_Slacks_limits_are_cut_to_fit_and_the_alert_is_posted()
    {
        var longReason = new string('x', 5_000) + "🔥";
        var failed = NotifierApp.Failed("etl-orders", Day.AddHours(2)) with
        {
            Reason = longReason,
            StartedBy = new string('s', 4_000),
            Containers = [.. Enumerable.Range(0, 40).Select(i => new ContainerOutcome($"container-{i}-" + new string('c', 200), 1, new string('r', 500)))],
        };
        await App.PublishAsync(failed);

        var post = Assert.Single(await WaitForPostsAsync(1));
        await SettleAsync();
        Assert.Empty(Slack.RefusedBlocks);
        Assert.NotNull(post.Body["blocks"]);
        Assert.True(post.Text.Length <= 4_000);
    }

    [Fact]
    public async Task A_digest_of_thousands_of_jobs_is_split_within_Slacks_limits_and_names_every_job()
    {
        var jobs = Enumerable.Range(0, 2_500).Select(i => new JobDigest($"etl-job-{i:D4}", i % 7, Day.AddHours(1), Day.AddHours(2), i % 3,
            i % 3 > 0 ? new Dictionary<string, int> { ["exit-code"] = i % 3 } : new Dictionary<string, int>(), i % 11 == 0 ? 1 : 0, 0,
            i % 13 == 0 ? 1 : 0, TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(9), i % 3 > 0 ? "failing" : "ok")).ToList();
        await App.PublishAsync(new DigestReady("data-team", Day, Day.AddDays(1), "UTC", jobs));

        await Eventually.Get(() => Task.FromResult(Slack.Posts), p => p.Count >= 2, what: "the digest's parts");
        await SettleAsync();
        Assert.Empty(Slack.RefusedBlocks);
        var posts = Slack.Posts;
        Assert.All(posts, p => Assert.True(p.Body["blocks"]!.AsArray().Count <= 50));
        var all = string.Join("\n", posts.Select(p => p.BlockText));
        foreach (var job in jobs)
            Assert.Contains($"*{job.Job}* ({job.Status})", all);
        Assert.Contains($"(1/{posts.Count})", posts[0].Text);
    }

    [Fact]
    public async Task Blocks_Slack_refuses_are_sent_again_as_plain_text_and_a_failed_alert_does_not_silence_the_next_failure()
    {
        // Slack refuses every message that has blocks: each alert still arrives, once, as its text.
        Slack.RefuseAllBlocks = true;
        await App.PublishAsync(NotifierApp.Failed("etl-orders", Day.AddHours(2)));
        var first = Assert.Single(await WaitForPostsAsync(1));
        Assert.Null(first.Body["blocks"]);
        Assert.Contains("etl-orders", first.Text);

        Assert.Single(Slack.RefusedBlocks);

        // Now Slack refuses everything for another job's first alert: it ends failed, and the next failure alerts anew.
        Slack.RefuseAllBlocks = false;
        Slack.Refuse = FakeSlack.Status(System.Net.HttpStatusCode.BadRequest);
        await App.PublishAsync(NotifierApp.Failed("report-daily", Day.AddHours(3)));
        await Eventually.Get(async () => await App.ApiClient().GetStringAsync("/deliveries?status=failed"), d => d.Contains("report-daily"),
            what: "the refused alert marked failed");
        Slack.Refuse = null;
        await App.PublishAsync(NotifierApp.Failed("report-daily", Day.AddHours(4)));
        var posts = await WaitForPostsAsync(2);
        Assert.Contains(posts, p => p.Text.Contains("report-daily", StringComparison.Ordinal) && p.Text.StartsWith("🔴", StringComparison.Ordinal));
    }
}
