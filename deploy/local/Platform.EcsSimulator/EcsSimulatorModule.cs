using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.EcsSamples;

namespace Platform.EcsSimulator;

public static class EcsSimulatorModule
{
    // One endpoint serves every AWS call the platform makes (Aws:ServiceUrl), told apart by X-Amz-Target: ECS's,
    // CloudTrail's LookupEvents for the records of the RunTask calls simulated here, and Step Functions'
    // GetExecutionHistory (JSON 1.0) for the executions simulated here.
    private const string TargetPrefix = "AmazonEC2ContainerServiceV20141113.";

    public static WebApplicationBuilder AddEcsSimulator(this WebApplicationBuilder builder)
    {
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.Services.AddOptions<SimulatorOptions>().Bind(builder.Configuration.GetSection(SimulatorOptions.SectionName));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHttpClient(nameof(EventForwarder));
        builder.Services.AddSingleton<EventForwarder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventForwarder>());
        builder.Services.AddSingleton<SimulatedEcs>();
        builder.Services.AddHostedService<ScheduledLaunches>();
        builder.Services.AddSingleton<SimulatedStateMachines>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SimulatedStateMachines>());
        return builder;
    }

    public static WebApplication MapEcsSimulator(this WebApplication app)
    {
        app.MapPost("/", HandleAsync);
        app.MapGet("/_simulator/calls", (SimulatedEcs ecs) => Results.Json(ecs.Calls));
        app.MapGet("/_simulator/events", (EventForwarder events) => Results.Json(new { sent = events.Sent }));
        app.MapPost("/_simulator/launch/{family}", (string family, SimulatedEcs ecs, IOptions<SimulatorOptions> options, TimeProvider clock) =>
            Results.Text(ecs.RunTask(new EcsEventFactory(options.Value.Account, options.Value.Region).RunTaskRequest(family, clock.GetUtcNow())).ToJsonString(),
                "application/json"));
        app.MapPost("/_simulator/execute/{stateMachine}", (string stateMachine, SimulatedStateMachines machines, IOptions<SimulatorOptions> options) =>
            options.Value.StateMachines.ContainsKey(stateMachine)
                ? Results.Json(new { executionArn = machines.Start(stateMachine) })
                : Results.Problem(statusCode: 404, title: "Unknown state machine", detail: $"No state machine '{stateMachine}' is configured (Simulator:StateMachines)."));
        app.MapGet("/health", () => Results.Ok("Healthy"));
        return app;
    }

    private const string StepFunctionsTarget = "AWSStepFunctions.GetExecutionHistory";

    private static async Task<IResult> HandleAsync(HttpContext context, SimulatedEcs ecs, SimulatedStateMachines stateMachines)
    {
        var target = context.Request.Headers["X-Amz-Target"].ToString();
        var authorization = context.Request.Headers.Authorization.ToString();
        // The simulator has no secret to check a signature against, but it does insist on one, as AWS does.
        if (!authorization.StartsWith("AWS4-HMAC-SHA256 Credential=", StringComparison.Ordinal) || !authorization.Contains("Signature=", StringComparison.Ordinal)
            || string.IsNullOrEmpty(context.Request.Headers["X-Amz-Date"]))
            return Error(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
        var contentType = target == StepFunctionsTarget ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1";
        if (context.Request.ContentType != contentType)
            return Error(400, "SerializationException", $"Content-Type must be {contentType}.");

        JsonObject request;
        try
        {
            request = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            return Error(400, "SerializationException", e.Message);
        }
        ecs.Record(target, request);
        try
        {
            var response = target switch
            {
                TargetPrefix + "RunTask" => ecs.RunTask(request),
                TargetPrefix + "StopTask" => ecs.StopTask(request),
                TargetPrefix + "DescribeTasks" => ecs.DescribeTasks(request),
                TargetPrefix + "DescribeTaskDefinition" => ecs.DescribeTaskDefinition(request),
                "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents" => ecs.LookupEvents(request),
                StepFunctionsTarget => stateMachines.GetExecutionHistory(request),
                _ => throw new EcsError("UnknownOperationException", $"Unknown operation {target}"),
            };
            return Results.Text(response.ToJsonString(), contentType);
        }
        catch (EcsError e)
        {
            return Error(400, e.Type, e.Message, contentType);
        }
    }

    private static IResult Error(int status, string type, string message, string contentType = "application/x-amz-json-1.1") =>
        Results.Text(new JsonObject { ["__type"] = type, ["message"] = message }.ToJsonString(), contentType, statusCode: status);
}
