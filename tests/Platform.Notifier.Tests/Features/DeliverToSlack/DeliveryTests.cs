using System.Net;
using System.Text.RegularExpressions;
using Platform.Contracts.History;
using Platform.Testing;
using Xunit;

namespace Platform.Notifier.Tests.Features.DeliverToSlack;

[Collection(NotifierCollection.Name)]
public class DeliveryTests(PostgresFixture postgres) : NotifierTestBase(postgres)
{
    private static readonly string[] Jobs = ["etl-a", "etl-b", "etl-c", "etl-d", "etl-e"];

    [Fact]
    public async Task While_Slack_answers_429_for_30_seconds_every_alert_waits_and_then_arrives_exactly_once_in_order_and_paced()
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(30);
        Slack.Refuse = context => DateTimeOffset.UtcNow < until ? FakeSlack.Status(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(5))(context) : Task.FromResult(false);
        foreach (var job in Jobs)
            await App.PublishAsync(NotifierApp.Failed(job, Day.AddHours(1)));

        var posts = await WaitForPostsAsync(Jobs.Length, TimeSpan.FromSeconds(60));
        Assert.True(posts[0].At >= until, "nothing may get through while Slack answers 429");
        await SettleAsync();

        Assert.Equal(Jobs.Length, Slack.Posts.Count);
        Assert.Equal(Jobs, posts.Select(p => p.Text.Split(' ')[1]));
        Assert.True(Slack.Requests > Jobs.Length, "Slack must have refused some requests");
        Assert.All(posts.Zip(posts.Skip(1)), pair => Assert.True(pair.Second.At - pair.First.At >= TimeSpan.FromMilliseconds(180),
            $"posts to one route must be paced: {pair.First.At:O} → {pair.Second.At:O}"));
    }

    [Fact]
    public async Task Alerts_pending_while_Slack_is_down_survive_a_restart_and_are_sent_once()
    {
        Slack.Refuse = FakeSlack.Status(HttpStatusCode.InternalServerError);
        foreach (var job in Jobs.Take(3))
            await App.PublishAsync(NotifierApp.Failed(job, Day.AddHours(1)));
        await Eventually.Get(() => Task.FromResult(Slack.Requests), r => r >= 1, what: "a refused attempt");
        await Eventually.Get(async () => (await App.ApiClient().GetStringAsync("/deliveries?status=pending")).Split("\"id\"").Length - 1,
            n => n == 3, what: "three pending deliveries");

        await RestartAsync();
        Slack.Refuse = null;

        var posts = await WaitForPostsAsync(3, TimeSpan.FromSeconds(30));
        await SettleAsync();
        Assert.Equal(Jobs.Take(3), Slack.Posts.Select(p => p.Text.Split(' ')[1]));
        Assert.Equal(3, posts.Count);
    }

    [Fact]
    public async Task A_dispatcher_whose_lease_connection_dies_ends_its_term_takes_the_lease_again_and_posts_each_alert_once()
    {
        Slack.Refuse = FakeSlack.Status(HttpStatusCode.InternalServerError);
        await App.PublishAsync(NotifierApp.Failed("etl-a", Day.AddHours(1)));
        await Eventually.Get(() => Task.FromResult(Slack.Requests), r => r >= 2, what: "refused attempts, the worker backing off");
        var holder = await Eventually.Get(LeaseHolderAsync, pid => pid is not null, what: "the dispatcher's lease");

        // The server ends the lease's connection alone (the pool's connections live on): the lock is free for anyone.
        await using (var connection = new Npgsql.NpgsqlConnection(Postgres.ConnectionString))
        {
            await connection.OpenAsync();
            await new Npgsql.NpgsqlCommand($"select pg_terminate_backend({holder})", connection).ExecuteScalarAsync();
        }

        // The dispatcher notices within seconds, ends the term (and its route worker) and takes the lease anew.
        await Eventually.Get(LeaseHolderAsync, pid => pid is not null && pid != holder, TimeSpan.FromSeconds(20), "the lease taken again");
        Slack.Refuse = null;
        await WaitForPostsAsync(1, TimeSpan.FromSeconds(30));
        await SettleAsync();
        Assert.Single(Slack.Posts);
    }

    /// <summary>The backend that holds the notifier's dispatcher lease (a session advisory lock on the key's hash).</summary>
    private async Task<int?> LeaseHolderAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select pid from pg_locks where locktype = 'advisory' and objsubid = 1 and granted " +
            "and ((classid::bigint << 32) | objid::bigint) = hashtext(@key)::bigint", connection);
        command.Parameters.AddWithValue("key", "platform-notifier-dispatcher:" + Schema);
        return await command.ExecuteScalarAsync() as int?;
    }

    [Fact]
    public async Task A_job_that_hangs_Slack_is_retried_after_the_timeout_without_losing_its_place()
    {
        var hung = 0;
        Slack.Refuse = async context =>
        {
            if (Interlocked.Increment(ref hung) > 1)
                return false;
            await Task.Delay(TimeSpan.FromSeconds(15), context.RequestAborted).ContinueWith(_ => { });
            return true;
        };
        await App.PublishAsync(NotifierApp.Failed("etl-a", Day.AddHours(1)));
        await App.PublishAsync(NotifierApp.Failed("etl-b", Day.AddHours(1)));

        var posts = await WaitForPostsAsync(2, TimeSpan.FromSeconds(40));
        Assert.Equal(["etl-a", "etl-b"], posts.Select(p => p.Text.Split(' ')[1]));
    }
}

[Collection(NotifierCollection.Name)]
public class StormTests(PostgresFixture postgres) : NotifierTestBase(postgres)
{
    protected override int StormThreshold => 3;

    [Fact]
    public async Task Many_alerts_to_one_route_at_once_become_one_grouped_message_that_lists_the_jobs()
    {
        var jobs = Enumerable.Range(1, 8).Select(i => $"etl-{i}").ToList();
        Slack.Refuse = null;
        await Task.WhenAll(jobs.Select(job => App.PublishAsync(NotifierApp.Failed(job, Day.AddHours(1)))));

        await SettleAsync();
        var posts = Slack.Posts;

        // However fast the dispatcher is, no more than the threshold go out one by one; the rest are grouped.
        var grouped = posts.Where(p => p.Text.Contains(" alerts for ")).ToList();
        Assert.NotEmpty(grouped);
        Assert.InRange(posts.Count - grouped.Count, 0, StormThreshold);
        var mentioned = jobs.Where(j => posts.Count(p => p.Text.Contains(j + ",") || p.Text.EndsWith(j) || p.Text.Contains(j + " ")) == 1).ToList();
        Assert.Equal(jobs, mentioned);
        Assert.All(grouped, g => Assert.Contains("alerts at once", g.BlockText));
    }

    [Fact]
    public async Task Alike_alerts_in_a_burst_are_counted_once_each_not_repeated()
    {
        Slack.Refuse = null;
        var slow = Enumerable.Range(1, 6).Select(i => new RunSlow("etl-orders", $"arn:aws:ecs:eu-west-1:123456789012:task/batch/slow{i}", "batch",
            TimeSpan.FromMinutes(7), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(12)));
        await Task.WhenAll(slow.Select(s => App.PublishAsync(s)));
        await App.PublishAsync(NotifierApp.Failed("etl-other", Day.AddHours(1)));

        await SettleAsync();
        var posts = Slack.Posts;

        var grouped = posts.Where(p => p.Text.Contains(" alerts for ")).ToList();
        Assert.NotEmpty(grouped);
        var alike = grouped.Select(g => g.BlockText.Split('\n').Where(line => line.Contains("etl-orders ran")).ToList()).ToList();
        Assert.All(alike, lines => Assert.True(lines.Count <= 1, string.Join("\n", lines)));
        // Every slow run is accounted for exactly once: alone, or in a grouped line's count.
        var counted = alike.Sum(lines => lines.Sum(line => Regex.Match(line, @"\(×(\d+)\)") is { Success: true } m ? int.Parse(m.Groups[1].Value) : 1));
        var alone = posts.Except(grouped).Count(p => p.Text.Contains("etl-orders ran"));
        Assert.Equal(6, counted + alone);
    }
}
