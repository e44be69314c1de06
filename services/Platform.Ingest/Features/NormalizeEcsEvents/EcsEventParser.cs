using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.Contracts.Ingest;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Ingest.Features.NormalizeEcsEvents;

/// <summary>
/// Turns EventBridge events (one JSON object, or an array of them) into our contracts. Understands
/// "ECS Task State Change", CloudTrail RunTask/StartTask calls (their failures, and the requests of tasks they started)
/// and Step Functions' "Execution Status Change"; acknowledges and counts as
/// ignored any other well-formed event, and those of clusters the platform file does not list (when it lists any).
/// </summary>
public sealed class EcsEventParser(IOptions<IngestOptions> options, PlatformConfigSource? config = null)
{
    /// <summary>EventBridge's own limit for one event.</summary>
    public const int MaxEventBytes = 256 * 1024;

    private const int MaxReportedErrors = 20;
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public EcsEventBatch Parse(ReadOnlyMemory<byte> json)
    {
        // JsonDocument checks the UTF-8 of a string only when it is read; check it all, so nothing half-valid gets in.
        if (!System.Text.Unicode.Utf8.IsValid(json.Span))
            return EcsEventBatch.Invalid(new EventError(null, "The body is not valid UTF-8."));
        (json, var textError) = JsonTextSanitizer.Sanitize(json);
        if (textError is not null)
            return EcsEventBatch.Invalid(new EventError(null, textError));
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            return EcsEventBatch.Invalid(new EventError(null, $"The body is not valid JSON: {e.Message}"));
        }

        using (document)
        {
            var root = document.RootElement;
            var batch = new EcsEventBatch();
            switch (root.ValueKind)
            {
                case JsonValueKind.Object:
                    ParseEvent(root, null, batch);
                    break;
                case JsonValueKind.Array:
                    var index = 0;
                    foreach (var item in root.EnumerateArray())
                    {
                        ParseEvent(item, index++, batch);
                        if (batch.Errors.Count >= MaxReportedErrors)
                            break;
                    }
                    break;
                default:
                    batch.Errors.Add(new EventError(null, "The body must be a JSON object (one EventBridge event) or an array of them."));
                    break;
            }
            return batch;
        }
    }

    private void ParseEvent(JsonElement element, int? index, EcsEventBatch batch)
    {
        var at = index is null ? "$" : $"$[{index}]";
        if (JsonMarshal.GetRawUtf8Value(element).Length > MaxEventBytes)
        {
            batch.Errors.Add(new EventError(index, $"{at}: the event is larger than EventBridge's limit of 256 KB.", TooLarge: true));
            return;
        }
        try
        {
            if (element.ValueKind != JsonValueKind.Object)
                throw new EventFormatException($"{at}: an event must be a JSON object.");
            if (!element.TryGetProperty("detail", out var detail) || detail.ValueKind != JsonValueKind.Object)
                throw new EventFormatException($"{at}.detail: required, and must be a JSON object.");

            var detailType = OptionalString(element, "detail-type", at);
            var source = OptionalString(element, "source", at);
            switch (detailType, source)
            {
                case ("ECS Task State Change", "aws.ecs"):
                    var change = ParseTaskStateChange(element, detail, at);
                    if (IsServiceTask(change.Group) || !Watched(change.ClusterArn))
                        batch.Ignored++;
                    else
                        batch.TaskStateChanges.Add(change);
                    break;
                case ("AWS API Call via CloudTrail", "aws.ecs"):
                    switch (ParseLaunch(element, detail, at))
                    {
                        case TaskLaunchFailed failure when !IsServiceTask(failure.Group) && Watched(failure.Cluster):
                            batch.LaunchFailures.Add(failure);
                            break;
                        case TaskLaunchRequested request when !IsServiceTask(request.Group) && Watched(request.Cluster):
                            batch.LaunchRequests.Add(request);
                            break;
                        default:
                            batch.Ignored++;
                            break;
                    }
                    break;
                case ("Step Functions Execution Status Change", "aws.states"):
                    batch.ExecutionChanges.Add(ParseExecutionStatus(element, detail, at));
                    break;
                default:
                    batch.Ignored++;
                    break;
            }
        }
        catch (EventFormatException e)
        {
            batch.Errors.Add(new EventError(index, e.Message));
        }
    }

    /// <summary>A cluster (name or ARN) the platform file lists, or any cluster when it lists none.</summary>
    private bool Watched(string cluster) => config?.Current.Watches(cluster) ?? true;

    private bool IsServiceTask(string? group) =>
        !options.Value.IncludeServiceTasks && group is not null && group.StartsWith("service:", StringComparison.Ordinal);

    private static TaskStateChanged ParseTaskStateChange(JsonElement envelope, JsonElement detailElement, string at)
    {
        var detail = Deserialize(detailElement, EcsEventJsonContext.Default.TaskStateChangeDetail, at);
        var taskDefinitionArn = Required(detail.TaskDefinitionArn, at, "detail.taskDefinitionArn");
        var (family, revision) = TaskDefinitionName.Parse(taskDefinitionArn);
        var taskArn = Required(detail.TaskArn, at, "detail.taskArn");
        var containers = (detail.Containers ?? [])
            .Select((c, i) => c is null
                ? throw new EventFormatException($"{at}.detail.containers[{i}]: must be a JSON object.")
                : new ContainerState(Required(c.Name, at, $"detail.containers[{i}].name"), c.LastStatus, c.ExitCode, c.Reason, c.Image, c.ContainerArn))
            .ToList();

        return new TaskStateChanged(
            EventId: RequiredString(envelope, "id", at),
            Time: RequiredTime(envelope, at),
            Account: OptionalString(envelope, "account", at) ?? ArnPart(taskArn, 4),
            Region: OptionalString(envelope, "region", at) ?? ArnPart(taskArn, 3),
            ClusterArn: Required(detail.ClusterArn, at, "detail.clusterArn"),
            TaskArn: taskArn,
            TaskDefinitionArn: taskDefinitionArn,
            Family: family,
            Revision: revision,
            Group: detail.Group,
            StartedBy: detail.StartedBy,
            LaunchType: detail.LaunchType,
            CapacityProviderName: detail.CapacityProviderName,
            LastStatus: Required(detail.LastStatus, at, "detail.lastStatus"),
            DesiredStatus: detail.DesiredStatus,
            StopCode: detail.StopCode,
            StoppedReason: detail.StoppedReason,
            Containers: containers,
            CreatedAt: detail.CreatedAt,
            StartedAt: detail.StartedAt,
            StoppingAt: detail.StoppingAt,
            StoppedAt: detail.StoppedAt,
            Version: detail.Version ?? throw new EventFormatException($"{at}.detail.version: required (ECS orders a task's events by it)."),
            Overrides: detail.Overrides);
    }

    private static readonly string[] ExecutionStatuses = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

    private static ExecutionStatusChanged ParseExecutionStatus(JsonElement envelope, JsonElement detailElement, string at)
    {
        var detail = Deserialize(detailElement, EcsEventJsonContext.Default.ExecutionStatusDetail, at);
        var executionArn = Required(detail.ExecutionArn, at, "detail.executionArn");
        var stateMachineArn = Required(detail.StateMachineArn, at, "detail.stateMachineArn");
        if (!stateMachineArn.StartsWith("arn:", StringComparison.Ordinal) || !stateMachineArn.Contains(":stateMachine:", StringComparison.Ordinal))
            throw new EventFormatException($"{at}.detail.stateMachineArn: '{Truncate(stateMachineArn)}' is not a state machine's ARN.");
        var status = Required(detail.Status, at, "detail.status");
        if (!ExecutionStatuses.Contains(status))
            throw new EventFormatException($"{at}.detail.status: '{Truncate(status)}' is not one of {string.Join(", ", ExecutionStatuses)}.");
        var start = detail.StartDate ?? throw new EventFormatException($"{at}.detail.startDate: required.");
        if (status != "RUNNING" && detail.StopDate is null)
            throw new EventFormatException($"{at}.detail.stopDate: required for an execution that ended ({status}).");
        return new ExecutionStatusChanged(
            EventId: RequiredString(envelope, "id", at),
            Time: RequiredTime(envelope, at),
            Account: OptionalString(envelope, "account", at) ?? ArnPart(executionArn, 4),
            Region: OptionalString(envelope, "region", at) ?? ArnPart(executionArn, 3),
            ExecutionArn: executionArn,
            StateMachineArn: stateMachineArn,
            Name: detail.Name ?? executionArn[(executionArn.LastIndexOf(':') + 1)..],
            Status: status,
            StartDate: DateTimeOffset.FromUnixTimeMilliseconds(start),
            StopDate: detail.StopDate is { } stop ? DateTimeOffset.FromUnixTimeMilliseconds(stop) : null,
            Error: detail.Error,
            Cause: detail.Cause);
    }

    /// <summary>
    /// A RunTask or StartTask that returned failures or that AWS refused (an <c>errorCode</c>, such as
    /// <c>AccessDenied</c> or <c>ThrottlingException</c>, and no response: a launch that failed), or a RunTask that
    /// started tasks (its request is kept so that a failed run can be retried as it was launched); other calls are not
    /// ours to record. A refused call without its request cannot be given to a job, and is ignored.
    /// </summary>
    private static object? ParseLaunch(JsonElement envelope, JsonElement detailElement, string at)
    {
        var detail = Deserialize(detailElement, EcsEventJsonContext.Default.CloudTrailDetail, at);
        if (detail.EventSource != "ecs.amazonaws.com" || detail.EventName is not ("RunTask" or "StartTask"))
            return null;
        var refused = detail.ErrorCode is { Length: > 0 } errorCode ? new FailureDetail(null, errorCode, detail.ErrorMessage) : null;
        if (refused is not null && detail.RequestParameters is not { ValueKind: JsonValueKind.Object })
            return null;
        var failures = refused is null ? detail.ResponseElements?.Failures ?? [] : [refused];
        var tasks = refused is null ? detail.ResponseElements?.Tasks ?? [] : [];
        if (failures.Count == 0 && (tasks.Count == 0 || detail.EventName != "RunTask"))
            return null;
        if (detail.RequestParameters is not { ValueKind: JsonValueKind.Object } request)
            throw new EventFormatException($"{at}.detail.requestParameters: required, and must be a JSON object, for a {detail.EventName} that {(failures.Count > 0 ? "failed" : "started tasks")}.");

        var requestAt = $"{at}.detail.requestParameters";
        var taskDefinition = RequiredString(request, "taskDefinition", requestAt);
        var eventId = RequiredString(envelope, "id", at);
        var time = RequiredTime(envelope, at);
        var account = OptionalString(envelope, "account", at) ?? "";
        var region = OptionalString(envelope, "region", at) ?? "";
        var cluster = OptionalString(request, "cluster", requestAt) ?? "default";
        var family = TaskDefinitionName.Parse(taskDefinition).Family;
        var group = OptionalString(request, "group", requestAt);
        var startedBy = OptionalString(request, "startedBy", requestAt);
        if (failures.Count == 0)
        {
            var arns = tasks.Select((t, i) => t.ValueKind == JsonValueKind.Object
                ? RequiredString(t, "taskArn", $"{at}.detail.responseElements.tasks[{i}]")
                : throw new EventFormatException($"{at}.detail.responseElements.tasks[{i}]: must be a JSON object.")).ToList();
            return new TaskLaunchRequested(eventId, time, account, region, cluster, family, group, startedBy, arns, request, detail.EventId);
        }
        return new TaskLaunchFailed(
            EventId: eventId,
            Time: time,
            Account: account,
            Region: region,
            EventName: detail.EventName,
            Cluster: cluster,
            TaskDefinition: taskDefinition,
            Family: family,
            Group: group,
            StartedBy: startedBy,
            Failures: failures
                .Select((f, i) => f is null
                    ? throw new EventFormatException($"{at}.detail.responseElements.failures[{i}]: must be a JSON object.")
                    : new LaunchFailure(f.Arn, f.Reason ?? "UNKNOWN", f.Detail))
                .ToList(),
            LaunchedTaskCount: tasks.Count,
            RequestParameters: request,
            CloudTrailEventId: detail.EventId);
    }

    private static T Deserialize<T>(JsonElement element, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string at)
    {
        try
        {
            return element.Deserialize(type) ?? throw new EventFormatException($"{at}.detail: must be a JSON object.");
        }
        catch (JsonException e)
        {
            var path = e.Path is { Length: > 1 } p ? p[1..] : "";
            throw new EventFormatException($"{at}.detail{path}: has the wrong type ({FirstSentence(e.Message)})");
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message.TrimEnd('.') : message[..end];
    }

    private static string Required(string? value, string at, string field) =>
        string.IsNullOrEmpty(value) ? throw new EventFormatException($"{at}.{field}: required.") : value;

    private static string RequiredString(JsonElement obj, string name, string at) =>
        OptionalString(obj, name, at) is { Length: > 0 } value ? value : throw new EventFormatException($"{at}.{name}: required.");

    private static string? OptionalString(JsonElement obj, string name, string at)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new EventFormatException($"{at}.{name}: must be a string, not {value.ValueKind.ToString().ToLowerInvariant()}.");
    }

    private static DateTimeOffset RequiredTime(JsonElement envelope, string at)
    {
        var text = RequiredString(envelope, "time", at);
        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new EventFormatException($"{at}.time: '{Truncate(text)}' is not an ISO 8601 time.");
    }

    private static string ArnPart(string arn, int index)
    {
        var parts = arn.Split(':');
        return parts.Length > index ? parts[index] : "";
    }

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private sealed class EventFormatException(string message) : Exception(message);
}

public sealed record EventError(int? Index, string Message, bool TooLarge = false);

public sealed class EcsEventBatch
{
    public List<TaskStateChanged> TaskStateChanges { get; } = [];
    public List<TaskLaunchFailed> LaunchFailures { get; } = [];
    public List<TaskLaunchRequested> LaunchRequests { get; } = [];
    public List<ExecutionStatusChanged> ExecutionChanges { get; } = [];
    public List<EventError> Errors { get; } = [];
    public int Ignored { get; set; }

    /// <summary>Backfilled history (an import): nothing may act on these events.</summary>
    public bool Replayed { get; set; }

    public int Accepted => TaskStateChanges.Count + LaunchFailures.Count + LaunchRequests.Count + ExecutionChanges.Count;

    public void Add(EcsEventBatch other)
    {
        TaskStateChanges.AddRange(other.TaskStateChanges);
        LaunchFailures.AddRange(other.LaunchFailures);
        LaunchRequests.AddRange(other.LaunchRequests);
        ExecutionChanges.AddRange(other.ExecutionChanges);
    }
    public bool IsValid => Errors.Count == 0;

    public static EcsEventBatch Invalid(EventError error)
    {
        var batch = new EcsEventBatch();
        batch.Errors.Add(error);
        return batch;
    }
}
