using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Platform.Testing;

public sealed record AwsCall(string Target, JsonObject Body, string Authorization, bool SignatureValid);

/// <summary>
/// The AWS APIs the services call, as one real HTTP server on loopback (as <c>Aws:ServiceUrl</c> sends every call
/// to one endpoint): ECS's JSON 1.1 (RunTask, StopTask, DescribeTasks over the tasks it knows, DescribeTaskDefinition
/// over the revisions it was given, a ClientException for others), CloudTrail's LookupEvents over the records it was
/// given, and Step Functions' GetExecutionHistory (JSON 1.0) over the histories it was given. It recomputes each request's SigV4 signature for the service its
/// <c>X-Amz-Target</c> names, and refuses (403) a request whose Authorization does not match, as AWS would.
/// </summary>
public sealed class FakeAws : IAsyncDisposable
{
    public const string AccessKey = "AKIDEXAMPLETEST00001";
    public const string SecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private const string CloudTrailTarget = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";
    private const string StepFunctionsTarget = "AWSStepFunctions.GetExecutionHistory";
    private readonly WebApplication app;
    private readonly ConcurrentQueue<AwsCall> calls = new();
    private readonly ConcurrentDictionary<string, JsonObject> records = new();
    private readonly ConcurrentDictionary<string, JsonObject> tasks = new();
    private readonly ConcurrentDictionary<string, JsonObject> taskDefinitions = new();
    private readonly ConcurrentDictionary<string, JsonObject> executionHistories = new();

    private FakeAws(WebApplication app) => this.app = app;

    public IReadOnlyList<AwsCall> Calls => calls.ToList();

    /// <summary>Answers before the normal handling; return true when it wrote the response.</summary>
    public Func<HttpContext, int, Task<bool>>? Intercept { get; set; }

    public string BaseUrl => app.BaseUrl();

    public static async Task<FakeAws> StartAsync()
    {
        var app = LoopbackServer.Create();
        var aws = new FakeAws(app);
        app.MapPost("/", aws.HandleAsync);
        await app.StartAsync();
        return aws;
    }

    /// <summary>CloudTrail knows this record from now on (an EventBridge "AWS API Call via CloudTrail" event, or its detail).</summary>
    public void AddRecord(JsonObject cloudTrailEvent)
    {
        var record = cloudTrailEvent["detail"] as JsonObject ?? cloudTrailEvent;
        records[record["eventID"]!.GetValue<string>()] = (JsonObject)record.DeepClone();
    }

    /// <summary>DescribeTasks shows this task (ECS's shape: taskArn, clusterArn, taskDefinitionArn, lastStatus, createdAt…).</summary>
    public void AddTask(JsonObject task) => tasks[task["taskArn"]!.GetValue<string>()] = task;

    /// <summary>DescribeTaskDefinition knows this revision (ECS's shape: taskDefinitionArn, family, revision, containerDefinitions…).</summary>
    public void AddTaskDefinition(JsonObject taskDefinition) => taskDefinitions[taskDefinition["taskDefinitionArn"]!.GetValue<string>()] = taskDefinition;

    /// <summary>GetExecutionHistory answers this for the execution (its response: <c>{"events":[…]}</c>).</summary>
    public void AddExecutionHistory(string executionArn, JsonObject history) => executionHistories[executionArn] = history;

    /// <summary>The calls made to one API action, e.g. <c>DescribeTaskDefinition</c>.</summary>
    public IReadOnlyList<AwsCall> CallsTo(string action) => calls.Where(c => c.Target.EndsWith("." + action, StringComparison.Ordinal)).ToList();

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var target = context.Request.Headers["X-Amz-Target"].ToString();
        var authorization = context.Request.Headers.Authorization.ToString();
        var (service, contentType) = target switch
        {
            CloudTrailTarget => ("cloudtrail", "application/x-amz-json-1.1"),
            StepFunctionsTarget => ("states", "application/x-amz-json-1.0"),
            _ => ("ecs", "application/x-amz-json-1.1"),
        };
        var valid = await SignatureMatchesAsync(context.Request, body, authorization, service);
        calls.Enqueue(new AwsCall(target, (JsonObject)JsonNode.Parse(body)!, authorization, valid));

        if (context.Request.ContentType != contentType || !valid)
        {
            context.Response.StatusCode = 403;
            await context.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["__type"] = "InvalidSignatureException", ["message"] = "signature does not match" });
            return;
        }
        if (Intercept is { } intercept && await intercept(context, calls.Count))
            return;

        context.Response.ContentType = contentType;
        var request = JsonNode.Parse(body)!;
        if (target == StepFunctionsTarget)
        {
            if (executionHistories.TryGetValue(request["executionArn"]!.GetValue<string>(), out var history))
            {
                await context.Response.WriteAsync(history.ToJsonString());
                return;
            }
            // What Step Functions answers for an execution it does not know.
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync(new JsonObject { ["__type"] = "ExecutionDoesNotExist", ["message"] = "Execution Does Not Exist" }.ToJsonString());
            return;
        }
        if (target == "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition"
            && !taskDefinitions.ContainsKey(request["taskDefinition"]!.GetValue<string>()))
        {
            // What ECS answers for a revision it does not have (or one deleted).
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync(new JsonObject { ["__type"] = "ClientException", ["message"] = "Unable to describe task definition." }.ToJsonString());
            return;
        }
        var response = target switch
        {
            "AmazonEC2ContainerServiceV20141113.RunTask" => RunTask(request),
            "AmazonEC2ContainerServiceV20141113.StopTask" => new JsonObject
            {
                ["task"] = new JsonObject { ["taskArn"] = request["task"]!.DeepClone(), ["lastStatus"] = "RUNNING", ["desiredStatus"] = "STOPPED", ["stoppedReason"] = request["reason"]!.DeepClone() },
            },
            "AmazonEC2ContainerServiceV20141113.DescribeTasks" => DescribeTasks(request),
            "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition" => new JsonObject
            {
                ["taskDefinition"] = taskDefinitions[request["taskDefinition"]!.GetValue<string>()].DeepClone(),
            },
            CloudTrailTarget => LookupEvents(request),
            _ => new JsonObject { ["tasks"] = new JsonArray(), ["failures"] = new JsonArray() },
        };
        await context.Response.WriteAsync(response.ToJsonString());
    }

    private JsonObject RunTask(JsonNode request)
    {
        var cluster = request["cluster"]?.GetValue<string>() ?? "default";
        var task = new JsonObject
        {
            ["taskArn"] = $"arn:aws:ecs:eu-west-1:123456789012:task/{cluster[(cluster.LastIndexOf('/') + 1)..]}/{Guid.NewGuid():N}",
            ["clusterArn"] = cluster.StartsWith("arn:", StringComparison.Ordinal) ? cluster : $"arn:aws:ecs:eu-west-1:123456789012:cluster/{cluster}",
            ["taskDefinitionArn"] = request["taskDefinition"]?.DeepClone(),
            ["lastStatus"] = "PROVISIONING",
            ["desiredStatus"] = "RUNNING",
            ["startedBy"] = request["startedBy"]?.DeepClone(),
            ["createdAt"] = 1763604000.123, // seconds with a fraction, as ECS writes times
        };
        AddTask(task);
        return new JsonObject { ["tasks"] = new JsonArray(task.DeepClone()), ["failures"] = new JsonArray() };
    }

    private JsonObject DescribeTasks(JsonNode request)
    {
        var found = new JsonArray();
        var missing = new JsonArray();
        foreach (var arn in request["tasks"]!.AsArray().Select(t => t!.GetValue<string>()))
        {
            if (tasks.TryGetValue(arn, out var task))
                found.Add(task.DeepClone());
            else
                missing.Add(new JsonObject { ["arn"] = arn, ["reason"] = "MISSING" });
        }
        return new JsonObject { ["tasks"] = found, ["failures"] = missing };
    }

    // LookupEvents' response as CloudTrail's API reference gives it: Events[] with the whole record as a JSON string.
    private JsonObject LookupEvents(JsonNode request)
    {
        var attribute = request["LookupAttributes"]![0]!;
        var events = new JsonArray();
        if (attribute["AttributeKey"]!.GetValue<string>() == "EventId" && records.TryGetValue(attribute["AttributeValue"]!.GetValue<string>(), out var record))
        {
            events.Add(Platform.EcsSamples.EcsEventFactory.LookupEvent(record));
        }
        return new JsonObject { ["Events"] = events };
    }

    private static async Task<bool> SignatureMatchesAsync(HttpRequest request, byte[] body, string authorization, string service)
    {
        var date = request.Headers["X-Amz-Date"].ToString();
        if (!authorization.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal) || date.Length == 0)
            return false;
        var signing = new AWSSigningRequest
        {
            HttpMethod = HttpMethod.Post,
            RequestUri = new Uri($"http://{request.Host}{request.Path}"),
            Content = body,
        };
        signing.Headers["host"] = request.Host.ToString();
        signing.Headers["content-type"] = request.ContentType ?? "";
        signing.Headers["x-amz-target"] = request.Headers["X-Amz-Target"].ToString();
        var expected = await AWSSigV4Signer.SignAsync(signing, new AWSSigV4Parameters
        {
            Credentials = new BasicAWSCredentials(AccessKey, SecretKey),
            Region = RegionEndpoint.EUWest1,
            Service = service,
            SignPayload = true,
            SignedAt = DateTime.ParseExact(date, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
        }, CancellationToken.None);
        return expected.Headers.TryGetValue("Authorization", out var value) && value == authorization;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
