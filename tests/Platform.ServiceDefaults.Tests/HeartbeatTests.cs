using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Platform.Testing;
using Xunit;

namespace Platform.ServiceDefaults.Tests;

/// <summary>The heartbeat the other way round: a Healthchecks.io-style URL (a real HTTP server here) called while the service is healthy.</summary>
public class HeartbeatTests
{
    [Theory]
    [InlineData(HealthStatus.Healthy, "/ping/abc")]
    [InlineData(HealthStatus.Degraded, "/ping/abc")]
    [InlineData(HealthStatus.Unhealthy, "/ping/abc/fail")]
    public async Task The_service_calls_its_heartbeat_URL_every_interval_and_its_fail_URL_while_unhealthy(HealthStatus status, string path)
    {
        var pings = new ConcurrentQueue<string>();
        await using var monitor = LoopbackServer.Create();
        monitor.MapGet("/{**path}", (HttpContext context) => { pings.Enqueue(context.Request.Path); return Results.Ok(); });
        await monitor.StartAsync();

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Heartbeat:Url"] = monitor.BaseUrl() + "/ping/abc",
            ["Heartbeat:Interval"] = "00:00:00.200",
        });
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks().AddCheck("state", () => new HealthCheckResult(status, "as the test says"));
        using var host = builder.Build();
        await host.StartAsync();

        await Eventually.Get(() => Task.FromResult(pings.Count), n => n >= 3, what: "three heartbeats");
        await host.StopAsync();
        Assert.All(pings, p => Assert.Equal(path, p));
    }

    [Fact]
    public async Task A_heartbeat_URL_that_is_not_HTTP_stops_the_service_at_start_naming_its_key()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Heartbeat:Url"] = "ftp://example.invalid/x" });
        builder.AddServiceDefaults();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Heartbeat:Url", error.Message);
    }
}
