using System.Text.Json;
using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.History;
using Platform.Contracts.Ingest;
using Platform.EcsSamples;
using Platform.Testing;

namespace Platform.Retry.Tests;

/// <summary>The retry service on real PostgreSQL (a schema of its own), MassTransit's harness as the bus, and a fake ECS.</summary>
public sealed class RetryApp(PostgresFixture postgres, FakeEcs ecs, string schema, string configFile) : WebApplicationFactory<RetryOptions>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", FakeEcs.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", FakeEcs.SecretKey);
        builder.UseSetting("Bus:Transport", "InMemory");
        builder.UseSetting("ConnectionStrings:Postgres", postgres.ConnectionString);
        builder.UseSetting("Retry:Schema", schema);
        builder.UseSetting("Retry:Ecs:Region", "eu-west-1");
        builder.UseSetting("Retry:Ecs:ServiceUrl", ecs.BaseUrl);
        builder.UseSetting("Retry:PollInterval", "00:00:00.100");
        builder.UseSetting("Platform:ConfigFile", configFile);
        builder.ConfigureTestServices(services => services.AddMassTransitTestHarness());
    }

    public ITestHarness Harness => Services.GetTestHarness();

    public static LaunchFailed LaunchFailed(string job, string reason = "AGENT", string? startedBy = null, string? eventId = null)
    {
        var cloudTrail = new EcsEventFactory().LaunchFailure(job, new DateTimeOffset(2026, 11, 20, 2, 0, 0, TimeSpan.Zero), reason, startedBy: startedBy);
        var request = JsonDocument.Parse(cloudTrail["detail"]!["requestParameters"]!.ToJsonString()).RootElement.Clone();
        var id = eventId ?? cloudTrail["id"]!.GetValue<string>();
        return new LaunchFailed("launch:" + id, job, "batch", $"arn:aws:ecs:eu-west-1:123456789012:task-definition/{job}:3", "eu-west-1", "123456789012",
            "RunTask", request.GetProperty("startedBy").GetString(), $"family:{job}", reason, [new LaunchFailure(null, reason, null)],
            new DateTimeOffset(2026, 11, 20, 2, 0, 0, TimeSpan.Zero), request);
    }
}
