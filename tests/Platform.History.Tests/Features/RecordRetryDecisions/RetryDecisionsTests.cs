using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Retry;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.RecordRetryDecisions;

[Collection(PostgresCollection.Name)]
public class RetryDecisionsTests(PostgresFixture postgres)
{
    /// <summary>
    /// After a crash, retry's outbox publishes a chain's decisions at once; history consumes them concurrently, and
    /// they compete for the chain stream's next version. Each is stored once, none is taken for a duplicate and
    /// dropped (the fault scenario lost them so), and a redelivery of all of them stores nothing more.
    /// </summary>
    [Fact]
    public async Task A_chains_decisions_published_together_are_all_stored_once()
    {
        await using var app = new HistoryApp(postgres);
        var bus = app.Services.GetRequiredService<IBus>();
        var due = new DateTimeOffset(2026, 11, 20, 2, 0, 0, TimeSpan.Zero);
        var decisions = new List<object>();
        for (var chain = 0; chain < 5; chain++)
        {
            var id = $"chain{chain:D2}0000000000";
            decisions.Add(new RelaunchScheduled(id, "nightly-report", "batch", 2, 3, due, "AGENT"));
            decisions.Add(new TaskRelaunched(id, "nightly-report", "batch", 2, 3, $"arn:aws:ecs:eu-west-1:123456789012:task/batch/{chain}a"));
            decisions.Add(new RelaunchScheduled(id, "nightly-report", "batch", 3, 3, due.AddSeconds(1), "AGENT"));
            decisions.Add(new TaskRelaunched(id, "nightly-report", "batch", 3, 3, $"arn:aws:ecs:eu-west-1:123456789012:task/batch/{chain}b"));
            decisions.Add(new RetriesExhausted(id, "nightly-report", "batch", 3, "AGENT"));
        }

        await Task.WhenAll(decisions.Select(d => bus.Publish(d, d.GetType())));
        var stored = await Eventually.Get(() => app.GetArrayAsync("/jobs/nightly-report/retries"), r => r.Count >= decisions.Count,
            TimeSpan.FromSeconds(30), "every decision in history");
        await Task.WhenAll(decisions.Select(d => bus.Publish(d, d.GetType())));
        await Eventually.Get(() => Task.FromResult(app.Harness.Consumed.Select<RetriesExhausted>().Count()), n => n >= 10,
            TimeSpan.FromSeconds(30), "the redelivered decisions consumed");

        stored = await app.GetArrayAsync("/jobs/nightly-report/retries");
        Assert.Equal(decisions.Count, stored.Count);
        Assert.Equal(5, stored.Count(d => d!["decision"]!.GetValue<string>() == "retries-exhausted"));
        Assert.Equal(10, stored.Select(d => (d!["decision"]!.GetValue<string>(), d["chain"]!.GetValue<string>(), d["attempt"]?.GetValue<int>()))
            .Count(d => d.Item1 == "relaunched"));
    }
}
