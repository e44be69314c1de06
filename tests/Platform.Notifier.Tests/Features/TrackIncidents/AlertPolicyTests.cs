using MassTransit.Testing;
using Platform.Testing;
using Xunit;

namespace Platform.Notifier.Tests.Features.TrackIncidents;

/// <summary>A monitor's alert policy: alert on the n-th failure in a row (the ones before listed), recover on the m-th success.</summary>
[Collection(NotifierCollection.Name)]
public class AlertPolicyTests(PostgresFixture postgres) : NotifierTestBase(postgres)
{
    protected override string Monitors => """
        monitors:
          - job: etl-flaky
            alertAfter: 3
            recoverAfter: 2
        """;

    /// <summary>Publishes, and waits until the notifier handled it and delivered what it decided.</summary>
    private async Task PublishAndSettle<T>(T message) where T : class
    {
        var id = Guid.NewGuid();
        await App.PublishAsync(message, id);
        await Eventually.Get(() => Task.FromResult(App.Harness.Consumed.Select<T>().Any(m => m.Context.MessageId == id && m.Exception is null)), done => done,
            what: "the message handled");
        await SettleAsync();
    }

    [Fact]
    public async Task Failures_alert_on_the_third_in_a_row_with_the_two_before_listed_and_recover_on_the_second_success()
    {
        await PublishAndSettle(NotifierApp.Failed("etl-flaky", Day.AddHours(1)));
        await PublishAndSettle(NotifierApp.Failed("etl-flaky", Day.AddHours(2)));
        // A success between: the two failures were transient, and nobody hears of them.
        await PublishAndSettle(NotifierApp.Succeeded("etl-flaky", Day.AddHours(3)));
        await PublishAndSettle(NotifierApp.Failed("etl-flaky", Day.AddHours(4), exitCode: 4));
        await PublishAndSettle(NotifierApp.Failed("etl-flaky", Day.AddHours(5), exitCode: 5));
        Assert.Empty(Slack.Posts);

        await PublishAndSettle(NotifierApp.Failed("etl-flaky", Day.AddHours(6), exitCode: 6));
        var alert = Assert.Single(Slack.Posts);
        Assert.Contains("(3 failures in a row)", alert.Text);
        Assert.Contains("app exited with code 6", alert.Text);
        Assert.Contains("2026-11-20 04:00 UTC: failed: app exited with code 4", alert.BlockText);
        Assert.Contains("2026-11-20 05:00 UTC: failed: app exited with code 5", alert.BlockText);
        Assert.DoesNotContain("exit code 1", alert.BlockText);

        await PublishAndSettle(NotifierApp.Succeeded("etl-flaky", Day.AddHours(7)));
        Assert.Single(Slack.Posts);
        await PublishAndSettle(NotifierApp.Succeeded("etl-flaky", Day.AddHours(8)));
        Assert.Equal(2, Slack.Posts.Count);
        Assert.Contains("recovered", Slack.Posts[1].Text);
    }

    [Fact]
    public async Task Jobs_without_a_policy_alert_on_the_first_failure_and_recover_on_the_first_success_as_before()
    {
        await PublishAndSettle(NotifierApp.Failed("etl-orders", Day.AddHours(1)));
        Assert.Single(Slack.Posts);
        await PublishAndSettle(NotifierApp.Succeeded("etl-orders", Day.AddHours(2)));
        Assert.Equal(2, Slack.Posts.Count);
        Assert.DoesNotContain("in a row", Slack.Posts[0].Text);
    }
}
