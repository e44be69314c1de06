using System.Net;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.TrackRuns;

[Collection(PostgresCollection.Name)]
public class JobsApiTests(PostgresFixture postgres)
{
    private readonly EcsEventFactory ecs = new();
    private readonly DateTimeOffset day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Runs_are_listed_newest_first_within_the_range_and_limit()
    {
        await using var app = new HistoryApp(postgres);
        var events = Enumerable.Range(0, 6).SelectMany(h => ecs.Run("etl-orders", day.AddHours(h), TimeSpan.FromMinutes(5), taskId: $"h{h}")).ToList();
        await app.PostAsync(events);
        await app.WaitForSummariesAsync(6);

        var all = await app.GetArrayAsync("/jobs/etl-orders/runs");
        Assert.Equal(["h5", "h4", "h3", "h2", "h1", "h0"], all.Select(r => r!["taskArn"]!.GetValue<string>().Split('/')[^1]));

        var window = await app.GetArrayAsync($"/jobs/etl-orders/runs?from={Q(day.AddHours(1))}&to={Q(day.AddHours(4))}");
        Assert.Equal(["h3", "h2", "h1"], window.Select(r => r!["taskArn"]!.GetValue<string>().Split('/')[^1]));

        var limited = await app.GetArrayAsync("/jobs/etl-orders/runs?limit=2");
        Assert.Equal(["h5", "h4"], limited.Select(r => r!["taskArn"]!.GetValue<string>().Split('/')[^1]));
    }

    [Fact]
    public async Task An_unknown_job_is_404_and_a_bad_query_is_400()
    {
        await using var app = new HistoryApp(postgres);
        var client = app.ApiClient();

        var unknown = await client.GetAsync("/jobs/no-such-job");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/jobs/no-such-job/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/jobs/x/runs?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/jobs/x/runs?limit=5000")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/jobs/x/runs?from={Q(day.AddDays(1))}&to={Q(day)}")).StatusCode);
        var badTime = await client.GetAsync("/jobs/x/runs?from=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, badTime.StatusCode);
        Assert.Contains("from", await badTime.Content.ReadAsStringAsync());
    }

    private static string Q(DateTimeOffset time) => Uri.EscapeDataString(time.ToString("O"));
}
