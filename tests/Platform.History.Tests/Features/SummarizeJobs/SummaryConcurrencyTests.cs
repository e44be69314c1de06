using Marten;
using JasperFx;
using Marten.Exceptions;
using Microsoft.Extensions.DependencyInjection;
using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.SummarizeJobs;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.SummarizeJobs;

/// <summary>The recorder and the missed-run detector both fold into job summaries: neither may overwrite the other.</summary>
[Collection(PostgresCollection.Name)]
public class SummaryConcurrencyTests(PostgresFixture postgres)
{
    private static readonly DateTimeOffset Slot = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static RunMissedRecorded Missed(int minutes) => new("nightly", Slot.AddMinutes(minutes), "rate(5 minutes)", "UTC", TimeSpan.FromMinutes(1));

    [Fact]
    public async Task A_summary_changed_since_it_was_loaded_is_refused_not_overwritten_and_counted_once_retried()
    {
        await using var app = new HistoryApp(postgres);
        var store = app.Services.GetRequiredService<IDocumentStore>();
        await using (var create = store.LightweightSession())
        {
            JobSummaryProjection.Save(create, JobSummaryProjection.Next(null, "nightly", Missed(0)), isNew: true);
            await create.SaveChangesAsync();
        }

        await using var slow = store.LightweightSession();
        var stale = await slow.LoadAsync<JobSummary>("nightly");
        await using (var fast = store.LightweightSession())
        {
            var current = await fast.LoadAsync<JobSummary>("nightly");
            JobSummaryProjection.Save(fast, JobSummaryProjection.Next(current, "nightly", Missed(5)), isNew: false);
            await fast.SaveChangesAsync();
        }
        JobSummaryProjection.Save(slow, JobSummaryProjection.Next(stale, "nightly", Missed(10)), isNew: false);
        await Assert.ThrowsAsync<ConcurrencyException>(() => slow.SaveChangesAsync());

        // Two writers that both found no summary: the second insert is refused too.
        await using (var late = store.LightweightSession())
        {
            JobSummaryProjection.Save(late, JobSummaryProjection.Next(null, "nightly", Missed(10)), isNew: true);
            await Assert.ThrowsAsync<DocumentAlreadyExistsException>(() => late.SaveChangesAsync());
        }

        // The refused writer retries from what is stored now: every slot counted once.
        await using (var retry = store.LightweightSession())
        {
            var current = await retry.LoadAsync<JobSummary>("nightly");
            JobSummaryProjection.Save(retry, JobSummaryProjection.Next(current, "nightly", Missed(10)), isNew: false);
            await retry.SaveChangesAsync();
        }
        await using var check = store.QuerySession();
        var summary = await check.LoadAsync<JobSummary>("nightly");
        Assert.Equal(3, summary!.MissedCount);
        Assert.Equal(Slot.AddMinutes(10), summary.LastMissedAt);
    }
}
