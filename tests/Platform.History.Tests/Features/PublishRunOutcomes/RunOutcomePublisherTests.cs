using System.Text.Json.Nodes;
using MassTransit.Testing;
using Platform.Contracts.History;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.PublishRunOutcomes;

/// <summary>
/// History publishes what another service acts on, and not every run's start and success: on SQS/SNS each message is
/// paid for, and a job that succeeds every hour needs no message per run.
/// </summary>
[Collection(PostgresCollection.Name)]
public class RunOutcomePublisherTests(PostgresFixture postgres)
{
    private readonly EcsEventFactory ecs = new();
    private readonly DateTimeOffset day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_success_is_published_when_it_may_end_an_incident_and_a_start_only_for_a_job_with_a_timeout()
    {
        await using var app = new HistoryApp(postgres);
        var finished = 0;
        async Task Post(params IEnumerable<JsonObject>[] runs)
        {
            foreach (var run in runs)
            {
                // One at a time and stored before the next: the order they are stored in is the order they are judged in.
                await app.PostAsync(run);
                await app.WaitForSummariesAsync(++finished);
            }
        }
        IEnumerable<JsonObject> Succeeds(int hour, string id) => ecs.Run("etl-orders", day.AddHours(hour), TimeSpan.FromMinutes(5), taskId: id);
        IEnumerable<JsonObject> Fails(int hour, string id) => ecs.Run("etl-orders", day.AddHours(hour), TimeSpan.FromMinutes(5), RunEnding.ExitCode, taskId: id, exitCode: 1);

        await Post(Succeeds(0, "s0"), Succeeds(1, "s1"), Fails(2, "f2"), Succeeds(3, "s3"), Succeeds(4, "s4"), [ecs.LaunchFailure("etl-orders", day.AddHours(5))],
            Succeeds(6, "s6"), Succeeds(8, "s8"),
            // Stored after s8 but stopped before it: the incident it opens ends only with a later success.
            Fails(7, "f7"), Succeeds(9, "s9"), Succeeds(10, "s10"));
        // A failure of another job, stored last: when it is published, every run before it has been judged.
        await Post(ecs.Run("marker", day.AddHours(11), TimeSpan.FromMinutes(1), RunEnding.ExitCode, taskId: "m", exitCode: 1));
        await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunFailed>().Count(p => p.Context.Message.Job == "marker")), n => n == 1,
            what: "the marker's RunFailed");

        var told = app.Harness.Published.Select<RunSucceeded>().Select(p => p.Context.Message.TaskArn).ToList();
        // s0: the job's first success (nothing known before it); s3, s6, s9: the first success after a failure, a
        // launch failure, and the late-stored failure.
        Assert.Equal(["s0", "s3", "s6", "s9"], told.Select(arn => arn[(arn.LastIndexOf('/') + 1)..]));
        Assert.Equal(2, app.Harness.Published.Select<RunFailed>().Count(p => p.Context.Message.Job == "etl-orders"));
        Assert.Single(app.Harness.Published.Select<LaunchFailed>());
        Assert.False(await app.Harness.Published.Any<RunStarted>(), "no monitor has a timeout: retry watches none of these runs");
    }
}
