using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Retry.Features.CallAws;
using Platform.ServiceDefaults.Aws;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Retry.Features.RetryFailures;

/// <summary>What AWS said about a relaunch that is due.</summary>
public abstract record Verdict
{
    /// <summary>AWS confirmed it; <paramref name="Relaunch"/> now carries the recorded request and the failure's real time.</summary>
    public sealed record Confirmed(Relaunch Relaunch) : Verdict;

    /// <summary>CloudTrail does not know the record yet: ask again at <paramref name="Next"/>.</summary>
    public sealed record NotYet(DateTimeOffset Next) : Verdict;

    public sealed record Refused(string Why) : Verdict;
}

/// <summary>
/// Checks a due relaunch against AWS before anything is started: an event posted to ingest is only a claim. The request
/// replayed for someone else's launch is the one CloudTrail's <c>LookupEvents</c> returns for the record's
/// <c>eventID</c>: a RunTask of the same family on the same cluster that failed with a reason the job retries (or, for a
/// failed run, that started its task). A failed run's task must be STOPPED according to DescribeTasks. Nothing older
/// than the policy's maxAge (by AWS's own times), and nothing on a cluster outside the platform file's, is relaunched.
/// </summary>
public sealed class RelaunchVerifier(ICloudTrailApi cloudTrail, IEcsApi ecs, PlatformConfigSource config, IOptions<RetryOptions> options, TimeProvider clock)
{
    public async Task<Verdict> VerifyAsync(Relaunch relaunch, CancellationToken ct)
    {
        if (!config.Current.Watches(relaunch.Cluster))
            return new Verdict.Refused($"cluster {relaunch.Cluster} is not among the platform file's clusters");
        if (relaunch.FailedTaskArn is { } taskArn && !relaunch.FailureConfirmed)
        {
            var stopped = await ConfirmStoppedAsync(relaunch, taskArn, ct);
            if (stopped is not Verdict.Confirmed { Relaunch: var confirmed })
                return stopped;
            relaunch = confirmed;
        }
        if (relaunch.Request is null)
        {
            var recorded = await FindRecordAsync(relaunch, ct);
            if (recorded is not Verdict.Confirmed { Relaunch: var found })
                return recorded;
            relaunch = found;
        }
        return clock.GetUtcNow() - relaunch.FailedAt > relaunch.MaxAge
            ? new Verdict.Refused($"the failure at {relaunch.FailedAt:u} is older than the job's retry maxAge: nothing that old is relaunched")
            : new Verdict.Confirmed(relaunch);
    }

    private async Task<Verdict> ConfirmStoppedAsync(Relaunch relaunch, string taskArn, CancellationToken ct)
    {
        var described = await ecs.DescribeTasksAsync(new DescribeTasksRequest(relaunch.Cluster, [taskArn]), ct);
        if (described.Tasks?.FirstOrDefault(t => t.TaskArn == taskArn) is not { } task)
            return new Verdict.Refused($"ECS does not know task {taskArn} on cluster {relaunch.Cluster}");
        if (task.LastStatus != "STOPPED")
            return new Verdict.Refused($"ECS shows task {taskArn} {task.LastStatus}, not stopped: the failure was not confirmed");
        if (task.TaskDefinitionArn is null || EcsNames.Family(task.TaskDefinitionArn) != relaunch.Family)
            return new Verdict.Refused($"ECS shows task {taskArn} of another task definition than the failure named");
        return new Verdict.Confirmed(relaunch with { FailureConfirmed = true, FailedAt = task.StoppedAt ?? relaunch.FailedAt });
    }

    private async Task<Verdict> FindRecordAsync(Relaunch relaunch, CancellationToken ct)
    {
        var found = await cloudTrail.LookupEventsAsync(LookupEventsRequest.ForEventId(relaunch.RecordEventId!), ct);
        if (found.Events?.FirstOrDefault(e => e.EventId == relaunch.RecordEventId) is not { CloudTrailEvent: { } text })
        {
            var now = clock.GetUtcNow();
            var giveUpAt = (relaunch.PlannedAt ?? now) + options.Value.CloudTrailLookupWindow;
            return now < giveUpAt
                ? new Verdict.NotYet(now + options.Value.CloudTrailLookupInterval)
                : new Verdict.Refused($"CloudTrail has no record {relaunch.RecordEventId} (asked for {DurationText.Format(options.Value.CloudTrailLookupWindow)}): the launch is not relaunched");
        }
        var record = JsonNode.Parse(text) as JsonObject;
        var request = record?["requestParameters"] as JsonObject;
        var why = Mismatch(relaunch, record, request);
        if (why is not null)
            return new Verdict.Refused($"CloudTrail's record {relaunch.RecordEventId} {why}");
        var failedAt = relaunch.FailedTaskArn is null && TimeOf(record!["eventTime"]) is { } eventTime ? eventTime : relaunch.FailedAt;
        return new Verdict.Confirmed(relaunch with
        {
            Request = RelaunchRequest.For(request!, relaunch.Chain, relaunch.Attempt),
            FailedAt = failedAt,
        });
    }

    /// <summary>Why the record cannot be the failure the relaunch is for, or null when it is.</summary>
    private string? Mismatch(Relaunch relaunch, JsonObject? record, JsonObject? request)
    {
        if (record is null || request is null)
            return "has no request parameters";
        if (Text(record["eventSource"]) != "ecs.amazonaws.com" || Text(record["eventName"]) != "RunTask")
            return $"is not an ECS RunTask call ({Text(record["eventSource"])} {Text(record["eventName"])})";
        if (Text(record["errorCode"]) is { } error && relaunch.FailedTaskArn is not null)
            return $"is a RunTask that AWS refused ({error}), which started no task";
        if (Text(request["taskDefinition"]) is not { } taskDefinition || EcsNames.Family(taskDefinition) != relaunch.Family)
            return $"launched another task definition ({Text(request["taskDefinition"])}) than the failure named ({relaunch.Family})";
        if (EcsNames.Cluster(Text(request["cluster"]) ?? "default") != EcsNames.Cluster(relaunch.Cluster))
            return $"launched on another cluster ({Text(request["cluster"]) ?? "default"}) than the failure named ({relaunch.Cluster})";
        var response = record["responseElements"] as JsonObject;
        if (relaunch.FailedTaskArn is { } taskArn)
        {
            var tasks = (response?["tasks"] as JsonArray ?? []).Select(t => Text(t?["taskArn"]));
            return tasks.Contains(taskArn) ? null : $"did not start task {taskArn}";
        }
        // A call AWS refused has no response: its error code is the reason (ThrottlingException, ServerException, …).
        var reasons = Text(record["errorCode"]) is { } refused
            ? [refused]
            : (response?["failures"] as JsonArray ?? []).Select(f => Text(f?["reason"])).OfType<string>().ToList();
        if (reasons.Count == 0)
            return "shows no launch failure";
        return config.Current.LaunchRetryFor(relaunch.Job).Covers(reasons[0]) ? null : $"failed for {reasons[0]}, which the job does not retry";
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static DateTimeOffset? TimeOf(JsonNode? node) =>
        Text(node) is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var time) ? time : null;
}
