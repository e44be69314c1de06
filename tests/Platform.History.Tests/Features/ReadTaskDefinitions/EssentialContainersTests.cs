using MassTransit.Testing;
using Platform.Contracts.History;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.ReadTaskDefinitions;

/// <summary>
/// History asks ECS which containers are essential (DescribeTaskDefinition, against <see cref="FakeAws"/>: a real HTTP
/// server checking SigV4) and classifies by them. The events are <see cref="EcsEventFactory"/>'s, in the shape of AWS's
/// "Amazon ECS task state change events" examples; its task definition follows DescribeTaskDefinition's response
/// syntax in the ECS API reference (an essential app and a FireLens log router that is not, as in AWS's "custom log
/// routing" guide).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class EssentialContainersTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly EcsEventFactory ecs = new();
    private readonly DateTimeOffset day = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
    private FakeAws aws = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", FakeAws.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", FakeAws.SecretKey);
        aws = await FakeAws.StartAsync();
        aws.AddTaskDefinition(ecs.TaskDefinition("nightly-report", revision: 3));
    }

    public async Task DisposeAsync() => await aws.DisposeAsync();

    [Fact]
    public async Task An_essential_container_killed_beside_a_router_that_exited_0_fails_and_each_revision_is_read_once_and_kept()
    {
        var schema = PostgresFixture.NewSchema();
        await using (var app = Start(schema, dropSchema: false))
        {
            // The case: the kernel killed the essential app (137, no reason); the log router exited 0 on SIGTERM.
            await app.PostAsync(ecs.Run("nightly-report", day.AddHours(2), TimeSpan.FromMinutes(5), RunEnding.ExitCode, taskId: "killed", exitCode: 137));
            // ECS stopped the non-essential router with SIGKILL after the app exited 0.
            await app.PostAsync(ecs.Run("nightly-report", day.AddHours(3), TimeSpan.FromMinutes(5), RunEnding.SuccessWithKilledSidecar, taskId: "fine"));
            await app.WaitForSummariesAsync(2);

            var runs = (await app.GetArrayAsync("/jobs/nightly-report/runs")).ToDictionary(r => r!["id"]!.GetValue<string>());
            var killed = runs[ecs.TaskArn("killed")]!;
            Assert.Equal("failed", killed["status"]!.GetValue<string>());
            Assert.Equal("app exited with code 137", killed["reason"]!.GetValue<string>());
            Assert.False(killed["classificationAssumed"]!.GetValue<bool>());
            var fine = runs[ecs.TaskArn("fine")]!;
            Assert.Equal("succeeded", fine["status"]!.GetValue<string>());
            Assert.False(fine["classificationAssumed"]!.GetValue<bool>());

            // Published by history's outcome publisher after the commit.
            var failed = (await Eventually.Get(() => Task.FromResult(app.Harness.Published.Select<RunFailed>().ToList()), l => l.Count >= 1, what: "RunFailed"))[0].Context.Message;
            Assert.Equal(ecs.TaskArn("killed"), failed.TaskArn);
            Assert.Equal(FailureKind.ExitCode, failed.Kind);

            var call = Assert.Single(aws.CallsTo("DescribeTaskDefinition"));
            Assert.True(call.SignatureValid);
            Assert.Equal(Arn(3), call.Body["taskDefinition"]!.GetValue<string>());
        }

        // Another history instance (or a restart) reads the revision from PostgreSQL, not from ECS.
        await using (var restarted = Start(schema, dropSchema: true))
        {
            await restarted.PostAsync(ecs.Run("nightly-report", day.AddHours(4), TimeSpan.FromMinutes(5), RunEnding.ExitCode, taskId: "again", exitCode: 137));
            await restarted.WaitForSummariesAsync(3);
            var again = (await restarted.GetArrayAsync("/jobs/nightly-report/runs")).Single(r => r!["id"]!.GetValue<string>() == ecs.TaskArn("again"))!;
            Assert.Equal("failed", again["status"]!.GetValue<string>());
            Assert.Single(aws.CallsTo("DescribeTaskDefinition"));
        }
    }

    [Fact]
    public async Task A_revision_ECS_will_not_describe_keeps_the_assumed_rule_and_says_so_in_the_API_and_on_the_dashboard()
    {
        await using var app = Start(PostgresFixture.NewSchema(), dropSchema: true);
        // Revision 9 is unknown to ECS: it answers ClientException "Unable to describe task definition." (as for a deleted one).
        await app.PostAsync(ecs.Run("nightly-report", day.AddHours(2), TimeSpan.FromMinutes(5), RunEnding.ExitCode, taskId: "unread", exitCode: 137, revision: 9));
        await app.WaitForSummariesAsync(1);

        var run = Assert.Single(await app.GetArrayAsync("/jobs/nightly-report/runs"))!;
        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        Assert.True(run["classificationAssumed"]!.GetValue<bool>());
        Assert.Single(aws.CallsTo("DescribeTaskDefinition"));

        var page = await app.CreateClient().WithReadKey(AllInOneTestHost.ReadKey).GetStringAsync("/ui/jobs/nightly-report");
        Assert.Matches("data-outcome=\"succeeded\"[\\s\\S]*?class=\"muted assumed\"", page);
    }

    private HistoryApp Start(string schema, bool dropSchema) => new(postgres, schema)
    {
        Settings = new Dictionary<string, string> { ["Aws:ServiceUrl"] = aws.BaseUrl },
        DropSchemaOnDispose = dropSchema,
    };

    private string Arn(int revision) => ecs.TaskDefinitionArn("nightly-report", revision);
}
