using System.Text.Json.Nodes;

namespace Platform.EcsSamples;

/// <summary>
/// Builds EventBridge events in the shapes AWS documents: "ECS Task State Change" (one per lastStatus change, with
/// an increasing detail.version) and "AWS API Call via CloudTrail" for a RunTask that returned failures[].
/// </summary>
public sealed class EcsEventFactory(string account = "123456789012", string region = "eu-west-1", string cluster = "batch")
{
    /// <summary>
    /// The local ECS simulator's default pace: ECS's start and stop steps at a tenth, so a task starts in 2 s. The demo
    /// feed's history uses it too, so that its runs are as long as the simulator's runs of the same jobs.
    /// </summary>
    public const double SimulatorPace = 0.1;

    private static readonly string[] Lifecycle = ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"];

    public string ClusterArn => $"arn:aws:ecs:{region}:{account}:cluster/{cluster}";

    public string TaskArn(string taskId) => $"arn:aws:ecs:{region}:{account}:task/{cluster}/{taskId}";

    public string TaskDefinitionArn(string family, int revision) => $"arn:aws:ecs:{region}:{account}:task-definition/{family}:{revision}";

    /// <summary>
    /// The task definition of the tasks this factory's events describe, as DescribeTaskDefinition's <c>taskDefinition</c>
    /// (ECS API reference): the essential <c>app</c> and a FireLens log router that is not essential, as in AWS's
    /// "custom log routing" guide.
    /// </summary>
    public JsonObject TaskDefinition(string family, int revision) => new()
    {
        ["taskDefinitionArn"] = TaskDefinitionArn(family, revision),
        ["family"] = family,
        ["revision"] = revision,
        ["status"] = "ACTIVE",
        ["networkMode"] = "awsvpc",
        ["requiresCompatibilities"] = new JsonArray("FARGATE"),
        ["compatibilities"] = new JsonArray("EC2", "FARGATE"),
        ["cpu"] = "256",
        ["memory"] = "512",
        ["containerDefinitions"] = new JsonArray(
            new JsonObject
            {
                ["name"] = "app",
                ["image"] = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/reports:latest",
                ["essential"] = true,
                ["logConfiguration"] = new JsonObject { ["logDriver"] = "awsfirelens", ["options"] = new JsonObject { ["Name"] = "cloudwatch" } },
            },
            new JsonObject
            {
                ["name"] = "log-router",
                ["image"] = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
                ["essential"] = false,
                ["firelensConfiguration"] = new JsonObject { ["type"] = "fluentbit" },
            }),
    };

    /// <summary>
    /// One CloudTrail record as <c>LookupEvents</c> returns it (CloudTrail API reference): a few fields lifted out, the
    /// whole record as a JSON string in <c>CloudTrailEvent</c>.
    /// </summary>
    public static JsonObject LookupEvent(JsonObject record) => new()
    {
        ["EventId"] = record["eventID"]!.DeepClone(),
        ["EventName"] = record["eventName"]!.DeepClone(),
        ["EventSource"] = record["eventSource"]!.DeepClone(),
        ["EventTime"] = DateTimeOffset.Parse(record["eventTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds(),
        ["ReadOnly"] = "false",
        ["Resources"] = new JsonArray(),
        ["CloudTrailEvent"] = record.ToJsonString(),
    };

    /// <summary>
    /// The events of one task from PROVISIONING to STOPPED, in order (about 8). <paramref name="pace"/> scales ECS's
    /// own steps (about 20 s to start, 15 s to stop), for a simulator that should not take that long.
    /// </summary>
    public IReadOnlyList<JsonObject> Run(string family, DateTimeOffset createdAt, TimeSpan duration, RunEnding ending = RunEnding.Success,
        string? taskId = null, int revision = 3, int exitCode = 1, string? group = null, string? startedBy = null, double pace = 1,
        string? stoppedReason = null)
    {
        taskId ??= Guid.NewGuid().ToString("N");
        DateTimeOffset After(DateTimeOffset t, double seconds) => t.AddSeconds(seconds * pace);
        var startedAt = After(createdAt, 20);
        var stoppingAt = startedAt + duration;
        var stoppedAt = After(stoppingAt, 15);
        var neverStarts = ending == RunEnding.CannotPullImage;
        var statuses = neverStarts ? ["PROVISIONING", "PENDING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"] : Lifecycle;

        var events = new List<JsonObject>();
        var version = 1;
        foreach (var status in statuses)
        {
            var index = Array.IndexOf(Lifecycle, status);
            var stopping = index >= Array.IndexOf(Lifecycle, "DEACTIVATING");
            var time = status switch
            {
                "PROVISIONING" => createdAt,
                "PENDING" => After(createdAt, 5),
                "ACTIVATING" => After(createdAt, 15),
                "RUNNING" => startedAt,
                "DEACTIVATING" => neverStarts ? After(createdAt, 40) : stoppingAt,
                "STOPPING" => After(neverStarts ? After(createdAt, 40) : stoppingAt, 2),
                "DEPROVISIONING" => After(neverStarts ? After(createdAt, 40) : stoppingAt, 5),
                _ => neverStarts ? After(createdAt, 55) : stoppedAt,
            };
            var detail = new JsonObject
            {
                ["attachments"] = new JsonArray(),
                ["availabilityZone"] = $"{region}a",
                ["clusterArn"] = ClusterArn,
                ["containers"] = Containers(taskId, status, stopping, ending, exitCode),
                ["cpu"] = "256",
                ["createdAt"] = Iso(createdAt),
                ["desiredStatus"] = stopping ? "STOPPED" : "RUNNING",
                ["enableExecuteCommand"] = false,
                ["group"] = group ?? $"family:{family}",
                ["launchType"] = "FARGATE",
                ["lastStatus"] = status,
                ["memory"] = "512",
                ["overrides"] = new JsonObject { ["containerOverrides"] = new JsonArray(new JsonObject { ["name"] = "app" }) },
                ["platformVersion"] = "1.4.0",
                ["startedBy"] = startedBy ?? $"events-rule/{family}-schedule",
                ["taskArn"] = TaskArn(taskId),
                ["taskDefinitionArn"] = TaskDefinitionArn(family, revision),
                ["updatedAt"] = Iso(time),
                ["version"] = version++,
            };
            if (!neverStarts && index >= Array.IndexOf(Lifecycle, "RUNNING"))
            {
                detail["pullStartedAt"] = Iso(After(createdAt, 8));
                detail["pullStoppedAt"] = Iso(After(createdAt, 14));
                detail["startedAt"] = Iso(startedAt);
                detail["connectivity"] = "CONNECTED";
            }
            if (stopping)
            {
                var (stopCode, reason) = StopOf(ending);
                detail["stopCode"] = stopCode;
                detail["stoppedReason"] = stoppedReason ?? reason;
                detail["stoppingAt"] = Iso(neverStarts ? After(createdAt, 40) : stoppingAt);
                if (status == "STOPPED")
                {
                    detail["stoppedAt"] = Iso(time);
                    detail["executionStoppedAt"] = Iso(After(time, -3));
                }
            }
            events.Add(Envelope("ECS Task State Change", time, [TaskArn(taskId)], detail));
        }
        return events;
    }

    /// <summary>A RunTask call recorded by CloudTrail that returned <c>failures[]</c> and started no task.</summary>
    public JsonObject LaunchFailure(string family, DateTimeOffset time, string reason = "AGENT", int revision = 3, string? startedBy = null) =>
        LaunchFailure(RunTaskRequest(family, time, revision, startedBy), time, reason);

    /// <summary>A RunTask request as EventBridge Scheduler sends it for a scheduled task, with every kind of parameter.</summary>
    public JsonObject RunTaskRequest(string family, DateTimeOffset time, int revision = 3, string? startedBy = null) => new()
    {
        ["cluster"] = ClusterArn,
        ["count"] = 1,
        ["launchType"] = "EC2",
        ["taskDefinition"] = $"arn:aws:ecs:{region}:{account}:task-definition/{family}:{revision}",
        ["startedBy"] = startedBy ?? $"events-rule/{family}-schedule",
        ["group"] = $"family:{family}",
        ["networkConfiguration"] = new JsonObject
        {
            ["awsvpcConfiguration"] = new JsonObject
            {
                ["subnets"] = new JsonArray("subnet-0a1b2c3d4e5f60718"),
                ["securityGroups"] = new JsonArray("sg-0123456789abcdef0"),
                ["assignPublicIp"] = "DISABLED",
            },
        },
        ["overrides"] = new JsonObject
        {
            ["containerOverrides"] = new JsonArray(new JsonObject
            {
                ["name"] = "app",
                ["command"] = new JsonArray("run-report", "--date", time.ToString("yyyy-MM-dd")),
                ["environment"] = new JsonArray(new JsonObject { ["name"] = "MODE", ["value"] = "nightly" }),
            }),
        },
        ["placementStrategy"] = new JsonArray(new JsonObject { ["type"] = "spread", ["field"] = "attribute:ecs.availability-zone" }),
        ["enableECSManagedTags"] = true,
        ["propagateTags"] = "TASK_DEFINITION",
        ["tags"] = new JsonArray(new JsonObject { ["key"] = "team", ["value"] = "data" }),
    };

    /// <summary>CloudTrail's record of a RunTask <paramref name="request"/> that returned <c>failures[]</c>.</summary>
    public JsonObject LaunchFailure(JsonObject request, DateTimeOffset time, string reason) =>
        RunTaskCall(request, time, new JsonObject
        {
            ["tasks"] = new JsonArray(),
            ["failures"] = new JsonArray(new JsonObject
            {
                ["arn"] = $"arn:aws:ecs:{region}:{account}:container-instance/{cluster}/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                ["reason"] = reason,
            }),
        });

    /// <summary>
    /// CloudTrail's record of a RunTask that AWS refused: <c>errorCode</c> and <c>errorMessage</c> set and no
    /// <c>responseElements</c>, as the CloudTrail record contents reference describes a failed request
    /// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
    /// </summary>
    public JsonObject RefusedLaunch(string family, DateTimeOffset time, string errorCode, string errorMessage, int revision = 3)
    {
        var call = RunTaskCall(RunTaskRequest(family, time, revision), time, null);
        var detail = (JsonObject)call["detail"]!;
        detail["errorCode"] = errorCode;
        detail["errorMessage"] = errorMessage;
        return call;
    }

    /// <summary>CloudTrail's record of a RunTask <paramref name="request"/> that started the tasks <paramref name="taskArns"/>.</summary>
    public JsonObject LaunchSucceeded(JsonObject request, DateTimeOffset time, params string[] taskArns) =>
        RunTaskCall(request, time, new JsonObject
        {
            ["tasks"] = new JsonArray([.. taskArns.Select(arn => new JsonObject { ["taskArn"] = arn, ["lastStatus"] = "PROVISIONING", ["clusterArn"] = ClusterArn })]),
            ["failures"] = new JsonArray(),
        });

    private JsonObject RunTaskCall(JsonObject request, DateTimeOffset time, JsonObject? response)
    {
        var detail = new JsonObject
        {
            ["eventVersion"] = "1.08",
            ["userIdentity"] = new JsonObject
            {
                ["type"] = "AssumedRole",
                ["principalId"] = "AROAEXAMPLE:events-rule",
                ["arn"] = $"arn:aws:sts::{account}:assumed-role/ecsEventsRole/events-rule",
                ["accountId"] = account,
                ["invokedBy"] = "events.amazonaws.com",
            },
            ["eventTime"] = Iso(time),
            ["eventSource"] = "ecs.amazonaws.com",
            ["eventName"] = "RunTask",
            ["awsRegion"] = region,
            ["sourceIPAddress"] = "events.amazonaws.com",
            ["userAgent"] = "events.amazonaws.com",
            ["requestParameters"] = request.DeepClone(),
            ["responseElements"] = response,
            ["requestID"] = Guid.NewGuid().ToString(),
            ["eventID"] = Guid.NewGuid().ToString(),
            ["readOnly"] = false,
            ["eventType"] = "AwsApiCall",
            ["managementEvent"] = true,
            ["recipientAccountId"] = account,
            ["eventCategory"] = "Management",
        };
        return Envelope("AWS API Call via CloudTrail", time, [], detail);
    }

    private JsonObject Envelope(string detailType, DateTimeOffset time, string[] resources, JsonObject detail) => new()
    {
        ["version"] = "0",
        ["id"] = Guid.NewGuid().ToString(),
        ["detail-type"] = detailType,
        ["source"] = "aws.ecs",
        ["account"] = account,
        ["time"] = time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"),
        ["region"] = region,
        ["resources"] = new JsonArray(resources.Select(r => (JsonNode?)JsonValue.Create(r)).ToArray()),
        ["detail"] = detail,
    };

    private JsonArray Containers(string taskId, string status, bool stopping, RunEnding ending, int exitCode)
    {
        var stopped = status is "STOPPED" or "DEPROVISIONING" || (status == "STOPPING" && stopping);
        var app = Container(taskId, "app", "111122223333.dkr.ecr.eu-west-1.amazonaws.com/reports:latest", stopping ? "STOPPED" : ContainerStatus(status));
        var sidecar = Container(taskId, "log-router", "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable", stopping ? "STOPPED" : ContainerStatus(status));
        if (stopped)
        {
            switch (ending)
            {
                case RunEnding.Success:
                    app["exitCode"] = 0;
                    sidecar["exitCode"] = 0;
                    break;
                case RunEnding.SuccessWithKilledSidecar:
                    app["exitCode"] = 0;
                    sidecar["exitCode"] = 137;
                    break;
                case RunEnding.ExitCode:
                    app["exitCode"] = exitCode;
                    sidecar["exitCode"] = 0;
                    break;
                case RunEnding.OutOfMemory:
                    app["exitCode"] = 137;
                    app["reason"] = "OutOfMemoryError: Container killed due to memory usage";
                    sidecar["exitCode"] = 143;
                    break;
                case RunEnding.CannotPullImage:
                    app["reason"] = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111122223333.dkr.ecr.eu-west-1.amazonaws.com/reports:latest: not found";
                    sidecar["reason"] = "CannotPullContainerError: dependent container failed";
                    break;
                case RunEnding.SpotInterruption:
                case RunEnding.StoppedByUser:
                    app["exitCode"] = 143;
                    sidecar["exitCode"] = 143;
                    break;
            }
        }
        return new JsonArray(app, sidecar);
    }

    private JsonObject Container(string taskId, string name, string image, string status) => new()
    {
        ["containerArn"] = $"arn:aws:ecs:{region}:{account}:container/{cluster}/{taskId}/{Guid.NewGuid()}",
        ["lastStatus"] = status,
        ["name"] = name,
        ["image"] = image,
        ["taskArn"] = TaskArn(taskId),
        ["networkInterfaces"] = new JsonArray(new JsonObject { ["attachmentId"] = Guid.NewGuid().ToString(), ["privateIpv4Address"] = "10.0.1.23" }),
        ["cpu"] = "0",
    };

    private static string ContainerStatus(string taskStatus) => taskStatus == "RUNNING" ? "RUNNING" : "PENDING";

    private static (string StopCode, string Reason) StopOf(RunEnding ending) => ending switch
    {
        RunEnding.CannotPullImage => ("TaskFailedToStart", "CannotPullContainerError: pull image manifest has been retried 5 time(s)"),
        RunEnding.SpotInterruption => ("SpotInterruption", "Your Spot Task was interrupted."),
        RunEnding.StoppedByUser => ("UserInitiated", "Task stopped by user"),
        _ => ("EssentialContainerExited", "Essential container in task exited"),
    };

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
}
