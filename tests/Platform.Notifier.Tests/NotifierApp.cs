using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.History;
using Platform.Testing;

namespace Platform.Notifier.Tests;

/// <summary>The real notifier on real PostgreSQL (a schema of its own), with MassTransit's harness as the bus.</summary>
public sealed class NotifierApp(PostgresFixture postgres, string configFile, string schema, FakeSlack slack) : WebApplicationFactory<NotifierOptions>
{
    public const string AdminKey = "test-admin-key-0123456789";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Bus:Transport", "InMemory");
        builder.UseSetting("ConnectionStrings:Postgres", postgres.ConnectionString);
        builder.UseSetting("Notifier:Schema", schema);
        builder.UseSetting("Notifier:SlackApiUrl", slack.BaseUrl);
        builder.UseSetting("Notifier:AdminApiKey", AdminKey);
        builder.UseSetting("Notifier:ReadApiKey", AllInOneTestHost.ReadKey);
        builder.UseSetting("Notifier:MinimumInterval", "00:00:00.200");
        builder.UseSetting("Notifier:RequestTimeout", "00:00:02");
        builder.UseSetting("Platform:ConfigFile", configFile);
        builder.ConfigureTestServices(services => services.AddMassTransitTestHarness());
    }

    public ITestHarness Harness => Services.GetTestHarness();

    /// <summary>A client of the notifier's reads, with its read key.</summary>
    public HttpClient ApiClient() => CreateClient().WithReadKey();

    public Task PublishAsync<T>(T message, Guid? id = null) where T : class =>
        Harness.Bus.Publish(message, ctx => ctx.MessageId = id ?? Guid.NewGuid());

    public static RunFailed Failed(string job, DateTimeOffset stoppedAt, string cluster = "batch", int exitCode = 1) => new(
        $"arn:aws:ecs:eu-west-1:123456789012:task/{cluster}/{job}-{stoppedAt.Ticks}", job, cluster,
        $"arn:aws:ecs:eu-west-1:123456789012:task/{cluster}/{job}-{stoppedAt.Ticks}",
        $"arn:aws:ecs:eu-west-1:123456789012:task-definition/{job}:4", "eu-west-1", "123456789012", "events-rule/" + job, $"family:{job}",
        FailureKind.ExitCode, $"app exited with code {exitCode}", "EssentialContainerExited",
        [new ContainerOutcome("app", exitCode, null), new ContainerOutcome("log-router", 0, null)],
        stoppedAt.AddMinutes(-10), stoppedAt.AddMinutes(-9), stoppedAt, TimeSpan.FromMinutes(9));

    public static RunSucceeded Succeeded(string job, DateTimeOffset stoppedAt, string cluster = "batch") => new(
        $"arn:aws:ecs:eu-west-1:123456789012:task/{cluster}/{job}-{stoppedAt.Ticks}", job, cluster,
        $"arn:aws:ecs:eu-west-1:123456789012:task/{cluster}/{job}-{stoppedAt.Ticks}",
        $"arn:aws:ecs:eu-west-1:123456789012:task-definition/{job}:4", "eu-west-1", "123456789012", null,
        stoppedAt.AddMinutes(-5), stoppedAt.AddMinutes(-4), stoppedAt, TimeSpan.FromMinutes(4));
}
