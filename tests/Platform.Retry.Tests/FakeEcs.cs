using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Retry.Tests;

public sealed record EcsCall(string Target, JsonObject Body, string Authorization, bool SignatureValid);

/// <summary>
/// ECS's JSON 1.1 endpoint as a real HTTP server on loopback. It recomputes each request's SigV4 signature with the
/// test credentials and refuses (403) a request whose Authorization does not match, as AWS would.
/// </summary>
public sealed class FakeEcs : IAsyncDisposable
{
    public const string AccessKey = "AKIDEXAMPLETEST00001";
    public const string SecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private readonly WebApplication app;
    private readonly ConcurrentQueue<EcsCall> calls = new();

    private FakeEcs(WebApplication app) => this.app = app;

    public IReadOnlyList<EcsCall> Calls => calls.ToList();

    /// <summary>Answers before the normal handling; return true when it wrote the response.</summary>
    public Func<HttpContext, int, Task<bool>>? Intercept { get; set; }

    public string BaseUrl => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<FakeEcs> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var ecs = new FakeEcs(app);
        app.MapPost("/", ecs.HandleAsync);
        await app.StartAsync();
        return ecs;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var target = context.Request.Headers["X-Amz-Target"].ToString();
        var authorization = context.Request.Headers.Authorization.ToString();
        var valid = await SignatureMatchesAsync(context.Request, body, authorization);
        calls.Enqueue(new EcsCall(target, (JsonObject)JsonNode.Parse(body)!, authorization, valid));

        if (context.Request.ContentType != "application/x-amz-json-1.1" || !valid)
        {
            context.Response.StatusCode = 403;
            await context.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["__type"] = "InvalidSignatureException", ["message"] = "signature does not match" });
            return;
        }
        if (Intercept is { } intercept && await intercept(context, calls.Count))
            return;

        context.Response.ContentType = "application/x-amz-json-1.1";
        var request = JsonNode.Parse(body)!;
        var response = target switch
        {
            "AmazonEC2ContainerServiceV20141113.RunTask" => new JsonObject
            {
                ["tasks"] = new JsonArray(new JsonObject
                {
                    ["taskArn"] = "arn:aws:ecs:eu-west-1:123456789012:task/batch/" + Guid.NewGuid().ToString("N"),
                    ["lastStatus"] = "PROVISIONING",
                    ["desiredStatus"] = "RUNNING",
                    ["startedBy"] = request["startedBy"]?.DeepClone(),
                    ["createdAt"] = 1763604000.123,
                }),
                ["failures"] = new JsonArray(),
            },
            "AmazonEC2ContainerServiceV20141113.StopTask" => new JsonObject
            {
                ["task"] = new JsonObject { ["taskArn"] = request["task"]!.DeepClone(), ["lastStatus"] = "RUNNING", ["desiredStatus"] = "STOPPED", ["stoppedReason"] = request["reason"]!.DeepClone() },
            },
            _ => new JsonObject { ["tasks"] = new JsonArray(), ["failures"] = new JsonArray() },
        };
        await context.Response.WriteAsync(response.ToJsonString());
    }

    private static async Task<bool> SignatureMatchesAsync(HttpRequest request, byte[] body, string authorization)
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
            Service = "ecs",
            SignPayload = true,
            SignedAt = DateTime.ParseExact(date, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
        }, CancellationToken.None);
        return expected.Headers.TryGetValue("Authorization", out var value) && value == authorization;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
