using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.EcsSamples;

namespace Platform.EcsSimulator;

public sealed record SimulatorCall(DateTimeOffset At, string Target, JsonObject Body);

/// <summary>
/// The simulated clusters: tasks go through ECS's lifecycle on the wall clock, and each change is sent as an
/// "ECS Task State Change" event; a RunTask that fails is recorded the way CloudTrail would record it. As in ECS, a
/// repeated <c>clientToken</c> returns the task it started before instead of starting another.
/// </summary>
public sealed class SimulatedEcs(IOptions<SimulatorOptions> options, EventForwarder events, TimeProvider clock)
{
    private static readonly string[] StopStatuses = ["DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"];
    private readonly Lock gate = new();
    private readonly Dictionary<string, SimulatedTask> tasks = [];
    private readonly Dictionary<string, JsonObject> byClientToken = [];
    private readonly Dictionary<string, int> failuresInARow = [];
    private readonly List<SimulatorCall> calls = [];
    private readonly Dictionary<string, JsonObject> cloudTrail = [];

    public IReadOnlyList<SimulatorCall> Calls
    {
        get { lock (gate) return calls.ToList(); }
    }

    public void Record(string target, JsonObject body)
    {
        lock (gate)
            calls.Add(new SimulatorCall(clock.GetUtcNow(), target, body));
    }

    public JsonObject RunTask(JsonObject request)
    {
        var taskDefinition = request["taskDefinition"]?.GetValue<string>() ?? throw new EcsError("InvalidParameterException", "taskDefinition is required.");
        var (family, revision) = FamilyOf(taskDefinition);
        var cluster = ClusterName(request["cluster"]?.GetValue<string>());
        var job = options.Value.Jobs.GetValueOrDefault(family) ?? new SimulatedJob();
        var now = clock.GetUtcNow();
        lock (gate)
        {
            var token = request["clientToken"]?.GetValue<string>();
            if (token is not null && byClientToken.TryGetValue(token, out var earlier))
                return (JsonObject)earlier.DeepClone();
            var response = Launch(request, family, revision, cluster, job, now);
            if (token is not null)
                byClientToken[token] = (JsonObject)response.DeepClone();
            return response;
        }
    }

    private JsonObject Launch(JsonObject request, string family, int revision, string cluster, SimulatedJob job, DateTimeOffset now)
    {
        var failed = failuresInARow.GetValueOrDefault(family);
        if (failed < job.LaunchFailures)
        {
            failuresInARow[family] = failed + 1;
            var factory = Factory(cluster);
            events.Send(Recorded(factory.LaunchFailure(request, now, job.LaunchFailureReason)));
            return new JsonObject
            {
                ["tasks"] = new JsonArray(),
                ["failures"] = new JsonArray(new JsonObject
                {
                    ["arn"] = $"arn:aws:ecs:{options.Value.Region}:{options.Value.Account}:container-instance/{cluster}/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                    ["reason"] = job.LaunchFailureReason,
                }),
            };
        }
        failuresInARow[family] = 0;

        var taskId = Guid.NewGuid().ToString("N");
        var run = Factory(cluster).Run(family, now, job.RunFor, job.ExitCode == 0 ? RunEnding.Success : RunEnding.ExitCode, taskId, revision,
            job.ExitCode, request["group"]?.GetValue<string>(), request["startedBy"]?.GetValue<string>() ?? "", options.Value.Pace);
        var task = new SimulatedTask(Factory(cluster).TaskArn(taskId), cluster, family, revision, now, request["startedBy"]?.GetValue<string>(),
            request["group"]?.GetValue<string>());
        tasks[task.Arn] = task;
        Play(task, run);
        events.Send(Recorded(Factory(cluster).LaunchSucceeded(request, now, task.Arn)));
        return new JsonObject { ["tasks"] = new JsonArray(Describe(task)), ["failures"] = new JsonArray() };
    }

    public JsonObject StopTask(JsonObject request)
    {
        var arn = request["task"]?.GetValue<string>() ?? throw new EcsError("InvalidParameterException", "task is required.");
        var reason = request["reason"]?.GetValue<string>() ?? "Task stopped by user";
        if (reason.Length > 255)
            throw new EcsError("InvalidParameterException", "reason must be at most 255 characters.");
        lock (gate)
        {
            if (!tasks.TryGetValue(arn, out var task))
                throw new EcsError("InvalidParameterException", "The referenced task was not found.");
            if (task.DesiredStatus != "STOPPED")
            {
                task.Pending.Cancel();
                task.Pending = new CancellationTokenSource();
                var now = clock.GetUtcNow();
                var ran = now - (task.StartedAt ?? now);
                var stop = Factory(task.Cluster).Run(task.Family, task.CreatedAt, ran < TimeSpan.Zero ? TimeSpan.Zero : ran, RunEnding.StoppedByUser,
                    TaskId(arn), task.Revision, group: task.Group, startedBy: task.StartedBy ?? "", pace: options.Value.Pace, stoppedReason: reason);
                task.DesiredStatus = "STOPPED";
                Play(task, stop.Where(e => StopStatuses.Contains(e["detail"]!["lastStatus"]!.GetValue<string>())).ToList());
            }
            return new JsonObject { ["task"] = Describe(task) };
        }
    }

    public JsonObject DescribeTasks(JsonObject request)
    {
        var wanted = request["tasks"] as JsonArray ?? throw new EcsError("InvalidParameterException", "tasks is required.");
        var found = new JsonArray();
        var missing = new JsonArray();
        lock (gate)
        {
            foreach (var arn in wanted.Select(t => t!.GetValue<string>()))
            {
                if (tasks.TryGetValue(arn, out var task))
                    found.Add(Describe(task));
                else
                    missing.Add(new JsonObject { ["arn"] = arn, ["reason"] = "MISSING" });
            }
        }
        return new JsonObject { ["tasks"] = found, ["failures"] = missing };
    }

    /// <summary>Every family runs the factory's containers: an essential app and a log router that is not essential.</summary>
    public JsonObject DescribeTaskDefinition(JsonObject request)
    {
        var taskDefinition = request["taskDefinition"]?.GetValue<string>() ?? throw new EcsError("InvalidParameterException", "taskDefinition is required.");
        var (family, revision) = FamilyOf(taskDefinition);
        return new JsonObject { ["taskDefinition"] = Factory("default").TaskDefinition(family, revision) };
    }

    /// <summary>
    /// CloudTrail's <c>LookupEvents</c> by <c>EventId</c>, over the RunTask calls recorded here, answered as CloudTrail's API
    /// reference shows it: each record whole, as a JSON string, in <c>CloudTrailEvent</c>.
    /// </summary>
    public JsonObject LookupEvents(JsonObject request)
    {
        var attribute = (request["LookupAttributes"] as JsonArray)?.FirstOrDefault()
            ?? throw new EcsError("InvalidLookupAttributesException", "LookupAttributes must hold one attribute.");
        var events = new JsonArray();
        lock (gate)
        {
            if (attribute["AttributeKey"]?.GetValue<string>() == "EventId" && attribute["AttributeValue"]?.GetValue<string>() is { } id
                && cloudTrail.TryGetValue(id, out var record))
            {
                events.Add(EcsEventFactory.LookupEvent(record));
            }
        }
        return new JsonObject { ["Events"] = events };
    }

    /// <summary>Keeps the CloudTrail record an event carries, so LookupEvents finds it as CloudTrail would.</summary>
    private JsonObject Recorded(JsonObject cloudTrailEvent)
    {
        var record = (JsonObject)cloudTrailEvent["detail"]!;
        cloudTrail[record["eventID"]!.GetValue<string>()] = (JsonObject)record.DeepClone();
        return cloudTrailEvent;
    }

    /// <summary>Sends each event at the time it carries, and keeps the task's status in step with what was sent.</summary>
    private void Play(SimulatedTask task, IReadOnlyList<JsonObject> run)
    {
        var token = task.Pending.Token;
        _ = Task.Run(async () =>
        {
            foreach (var e in run)
            {
                var at = DateTimeOffset.Parse(e["detail"]!["updatedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
                var wait = at - clock.GetUtcNow();
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait, clock, token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                lock (gate)
                {
                    if (token.IsCancellationRequested)
                        return;
                    var detail = e["detail"]!;
                    task.LastStatus = detail["lastStatus"]!.GetValue<string>();
                    task.DesiredStatus = detail["desiredStatus"]!.GetValue<string>();
                    task.StartedAt ??= detail["startedAt"] is { } started ? DateTimeOffset.Parse(started.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : null;
                    task.StoppedReason = detail["stoppedReason"]?.GetValue<string>() ?? task.StoppedReason;
                    events.Send(e);
                }
            }
        });
    }

    private static JsonObject Describe(SimulatedTask task) => new()
    {
        ["taskArn"] = task.Arn,
        ["clusterArn"] = task.Arn[..task.Arn.IndexOf(":task/", StringComparison.Ordinal)] + ":cluster/" + task.Cluster,
        ["taskDefinitionArn"] = task.Arn[..task.Arn.IndexOf(":task/", StringComparison.Ordinal)] + $":task-definition/{task.Family}:{task.Revision}",
        ["lastStatus"] = task.LastStatus,
        ["desiredStatus"] = task.DesiredStatus,
        ["startedBy"] = task.StartedBy,
        ["group"] = task.Group,
        ["createdAt"] = task.CreatedAt.ToUnixTimeMilliseconds() / 1000.0,
        ["stoppedReason"] = task.StoppedReason,
    };

    private EcsEventFactory Factory(string cluster) => new(options.Value.Account, options.Value.Region, cluster);

    private static string TaskId(string arn) => arn[(arn.LastIndexOf('/') + 1)..];

    private static string ClusterName(string? cluster) => cluster is null ? "default" : cluster[(cluster.LastIndexOf('/') + 1)..];

    private static (string Family, int Revision) FamilyOf(string taskDefinition)
    {
        var name = taskDefinition[(taskDefinition.LastIndexOf('/') + 1)..];
        var colon = name.LastIndexOf(':');
        return colon < 0 ? (name, 1) : (name[..colon], int.TryParse(name[(colon + 1)..], out var r) ? r : 1);
    }

    private sealed class SimulatedTask(string arn, string cluster, string family, int revision, DateTimeOffset createdAt, string? startedBy, string? group)
    {
        public string Arn { get; } = arn;
        public string Cluster { get; } = cluster;
        public string Family { get; } = family;
        public int Revision { get; } = revision;
        public DateTimeOffset CreatedAt { get; } = createdAt;
        public string? StartedBy { get; } = startedBy;
        public string? Group { get; } = group;
        public string LastStatus { get; set; } = "PROVISIONING";
        public string DesiredStatus { get; set; } = "RUNNING";
        public DateTimeOffset? StartedAt { get; set; }
        public string? StoppedReason { get; set; }
        public CancellationTokenSource Pending { get; set; } = new();
    }
}

/// <summary>An error ECS would answer with HTTP 400 and this <c>__type</c>.</summary>
public sealed class EcsError(string type, string message) : Exception(message)
{
    public string Type { get; } = type;
}
