using Platform.Testing;
using Platform.ServiceDefaults.Aws;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.EcsSamples;
using Platform.Retry.Features.CallAws;
using Refit;
using Xunit;

namespace Platform.Retry.Tests.Features.CallAws;

[Collection(Platform.Retry.Tests.Features.RetryFailures.RetryCollection.Name)]
public class EcsClientTests(Platform.Testing.PostgresFixture postgres) : IAsyncLifetime
{
    private readonly string schema = Platform.Testing.PostgresFixture.NewSchema();
    private FakeAws ecs = null!;
    private WebApplicationFactory<RetryOptions> app = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", FakeAws.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", FakeAws.SecretKey);
        ecs = await FakeAws.StartAsync();
        app = new WebApplicationFactory<RetryOptions>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Bus:Transport", "InMemory");
            builder.UseSetting("ConnectionStrings:Postgres", postgres.ConnectionString);
            builder.UseSetting("Retry:Schema", schema);
            builder.UseSetting("Retry:Ecs:Region", "eu-west-1");
            builder.UseSetting("Retry:Ecs:ServiceUrl", ecs.BaseUrl);
        });
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await ecs.DisposeAsync();
        await postgres.DropSchemaAsync(schema);
    }

    private IEcsApi Client => app.Services.GetRequiredService<IEcsApi>();

    [Fact]
    public async Task RunTask_sends_the_whole_request_signed_with_SigV4_on_the_JSON_1_1_protocol()
    {
        var recorded = (JsonObject)new EcsEventFactory().LaunchFailure("nightly-report", DateTimeOffset.UtcNow)["detail"]!["requestParameters"]!.DeepClone();
        recorded["clientToken"] = "platform-chain-1-attempt-2";

        var response = await Client.RunTaskAsync(recorded, CancellationToken.None);

        var call = Assert.Single(ecs.Calls);
        Assert.True(call.SignatureValid, "the fake ECS recomputes the signature from the request; it must match");
        Assert.Equal("AmazonEC2ContainerServiceV20141113.RunTask", call.Target);
        Assert.Contains($"Credential={FakeAws.AccessKey}/", call.Authorization);
        Assert.Contains("/eu-west-1/ecs/aws4_request", call.Authorization);
        Assert.True(JsonNode.DeepEquals(recorded, call.Body), "every field of the original request must be sent");
        var task = Assert.Single(response.Tasks!);
        Assert.Equal("events-rule/nightly-report-schedule", task.StartedBy);
        Assert.Equal(new DateTimeOffset(2025, 11, 20, 2, 0, 0, 123, TimeSpan.Zero), task.CreatedAt);
    }

    [Fact]
    public async Task Throttling_and_server_errors_are_retried_and_each_attempt_is_signed_again()
    {
        ecs.Intercept = async (context, call) =>
        {
            if (call > 2)
                return false;
            context.Response.StatusCode = call == 1 ? 400 : 503;
            await context.Response.WriteAsync(call == 1 ? "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}" : "{\"__type\":\"ServerException\"}");
            return true;
        };

        var stopped = await Client.StopTaskAsync(new StopTaskRequest("batch", "arn:aws:ecs:eu-west-1:123456789012:task/batch/abc", "Stopped by Platform: exceeded timeout of 30m"), CancellationToken.None);

        Assert.Equal(3, ecs.Calls.Count);
        Assert.All(ecs.Calls, c => Assert.True(c.SignatureValid));
        Assert.Equal("Stopped by Platform: exceeded timeout of 30m", stopped.Task!.StoppedReason);
    }

    [Fact]
    public async Task A_client_error_is_not_retried_and_says_what_ECS_said()
    {
        ecs.Intercept = async (context, _) =>
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync("{\"__type\":\"ClusterNotFoundException\",\"message\":\"Cluster not found.\"}");
            return true;
        };

        var error = await Assert.ThrowsAsync<ApiException>(() => Client.DescribeTasksAsync(new DescribeTasksRequest("nope", ["x"]), CancellationToken.None));

        Assert.Single(ecs.Calls);
        Assert.Contains("ClusterNotFoundException", error.Content);
    }
}
