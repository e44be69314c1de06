using System.Text.Json;
using System.Text.Json.Nodes;
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
public sealed class RetryApp(PostgresFixture postgres, FakeAws ecs, string schema, string configFile) : WebApplicationFactory<RetryOptions>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", FakeAws.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", FakeAws.SecretKey);
        builder.UseSetting("Bus:Transport", "InMemory");
        builder.UseSetting("ConnectionStrings:Postgres", postgres.ConnectionString);
        builder.UseSetting("Retry:Schema", schema);
        builder.UseSetting("Aws:Region", "eu-west-1");
        builder.UseSetting("Aws:ServiceUrl", ecs.BaseUrl);
        builder.UseSetting("Retry:PollInterval", "00:00:00.100");
        builder.UseSetting("Retry:CloudTrailLookupInterval", "00:00:00.200");
        builder.UseSetting("Retry:CloudTrailLookupWindow", "00:00:02");
        builder.UseSetting("Platform:ConfigFile", configFile);
        builder.ConfigureTestServices(services => services.AddMassTransitTestHarness());
    }

    public ITestHarness Harness => Services.GetTestHarness();

    /// <summary>
    /// A launch failure as history publishes it, and CloudTrail's record of it (the "AWS API Call via CloudTrail" shape
    /// of AWS's CloudTrail and EventBridge documentation, from the samples library), which the test may give CloudTrail.
    /// </summary>
    public static (LaunchFailed Message, JsonObject Record) LaunchFailure(string job, string reason = "AGENT", string? startedBy = null,
        DateTimeOffset? time = null)
    {
        var at = time ?? DateTimeOffset.UtcNow;
        var cloudTrail = new EcsEventFactory().LaunchFailure(job, at, reason, startedBy: startedBy);
        return (FromRecord(cloudTrail, job, reason, at), cloudTrail);
    }

    /// <summary>What history publishes for <paramref name="cloudTrail"/> (which may have been tampered with).</summary>
    public static LaunchFailed FromRecord(JsonObject cloudTrail, string job, string reason, DateTimeOffset time)
    {
        var detail = cloudTrail["detail"]!;
        var request = JsonDocument.Parse(detail["requestParameters"]!.ToJsonString()).RootElement.Clone();
        return new LaunchFailed("launch:" + cloudTrail["id"]!.GetValue<string>(), job, "batch", request.GetProperty("taskDefinition").GetString()!,
            "eu-west-1", "123456789012", "RunTask", request.GetProperty("startedBy").GetString(), $"family:{job}", reason,
            [new LaunchFailure(null, reason, null)], time, request, detail["eventID"]!.GetValue<string>());
    }
}
