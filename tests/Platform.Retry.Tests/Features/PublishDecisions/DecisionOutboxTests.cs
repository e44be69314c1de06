using System.Text.Json;
using Marten;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Retry;
using Platform.Retry.Features.PublishDecisions;
using Platform.Retry.Tests.Features.RetryFailures;
using Platform.Testing;
using Xunit;

namespace Platform.Retry.Tests.Features.PublishDecisions;

/// <summary>Every decision is published with an id derived from what it is about, also when a crash came between its commit and its publishing.</summary>
[Collection(RetryCollection.Name)]
public class DecisionOutboxTests(PostgresFixture postgres) : RetryTestBase(postgres)
{
    protected override string Config => """
        monitors:
          - job: nightly-report
            retry:
              launch: { reasons: [AGENT], maxAttempts: 2, interval: 1s, backoffRate: 1 }
        """;

    [Fact]
    public async Task A_decision_stored_but_never_published_is_published_once_by_the_leader_with_its_derived_id()
    {
        // What a process that died right after the commit leaves: the decision's message, stored, not published.
        var message = new RetriesExhausted("00112233445566ff", "nightly-report", "batch", 3, "AGENT");
        var id = DecisionOutbox.IdFor("exhausted", message.Chain);
        await using (var session = App.Services.GetRequiredService<IRetryStore>().LightweightSession())
        {
            session.Store(new OutboxMessage(id, typeof(RetriesExhausted).FullName!, JsonSerializer.SerializeToElement(message), DateTimeOffset.UtcNow.AddMinutes(-1)));
            await session.SaveChangesAsync();
        }

        var published = await Eventually.Get(() => Task.FromResult(App.Harness.Published.Select<RetriesExhausted>().ToList()), p => p.Count >= 1,
            TimeSpan.FromSeconds(15), "the left-over decision published");
        await Task.Delay(1_500);
        var sent = Assert.Single(App.Harness.Published.Select<RetriesExhausted>());
        Assert.Equal(id, sent.Context.MessageId);
        Assert.Equal(message, sent.Context.Message);
        await using var query = App.Services.GetRequiredService<IRetryStore>().QuerySession();
        Assert.Empty(await query.Query<OutboxMessage>().ToListAsync());
    }

    [Fact]
    public async Task Decisions_carry_ids_derived_from_their_chain_and_attempt()
    {
        var (failed, record) = RetryApp.LaunchFailure("nightly-report");
        Aws.AddRecord(record);
        await App.Harness.Bus.Publish(failed);

        var relaunched = await Eventually.Get(() => Task.FromResult(App.Harness.Published.Select<TaskRelaunched>().ToList()), p => p.Count >= 1,
            TimeSpan.FromSeconds(15), "TaskRelaunched");
        var scheduled = Assert.Single(App.Harness.Published.Select<RelaunchScheduled>());
        var chain = scheduled.Context.Message.Chain;
        Assert.Equal(DecisionOutbox.IdFor("scheduled", $"{chain}/2"), scheduled.Context.MessageId);
        Assert.Equal(DecisionOutbox.IdFor("relaunched", $"{chain}/2"), relaunched[0].Context.MessageId);
    }
}
