using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Platform.Testing;

namespace Platform.History.Tests;

/// <summary>
/// Ingest and history in one process (the AllInOne composition) on real PostgreSQL, in a schema of its own, with
/// MassTransit's harness as the bus: events go in over HTTP exactly as EventBridge sends them.
/// </summary>
public sealed class HistoryApp(PostgresFixture postgres, string? schema = null, string? configFile = null, TimeProvider? clock = null)
    : WebApplicationFactory<Platform.AllInOne.Demo.DemoFeed>
{
    public const string ApiKey = "test-ingest-key-0123456789";

    public string Schema { get; } = schema ?? PostgresFixture.NewSchema();

    /// <summary>More settings for this host (e.g. the dashboard's).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        // These tests are about history: ECS is the discard port, so a relaunch planned here stays pending.
        builder.UseAllInOneTestSettings(postgres.ConnectionString, Schema, ApiKey);
        if (configFile is not null)
            builder.UseSetting("Platform:ConfigFile", configFile);
        builder.UseSetting("History:MissedRunCheckInterval", "00:00:01");
        foreach (var (key, value) in Settings)
            builder.UseSetting(key, value);
        builder.ConfigureTestServices(services =>
        {
            services.AddMassTransitTestHarness();
            if (clock is not null)
                services.AddSingleton(clock);
        });
    }

    public ITestHarness Harness => Services.GetTestHarness();

    public async Task PostAsync(IEnumerable<JsonObject> events)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        var response = await client.PostAsync("/events", new StringContent(new JsonArray([.. events.Select(e => e.DeepClone())]).ToJsonString(), Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>A client of history's JSON API, with its read key (the dashboard's access key).</summary>
    public HttpClient ApiClient() => CreateClient().WithReadKey(Settings.GetValueOrDefault("Dashboard:AccessKey") ?? AllInOneTestHost.ReadKey);

    /// <summary>GETs a JSON array; a 404 (a job not seen yet) reads as empty.</summary>
    public async Task<JsonArray> GetArrayAsync(string path)
    {
        var response = await ApiClient().GetAsync(path);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return [];
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonArray>())!;
    }

    /// <summary>Waits until the job summaries account for <paramref name="finishedRuns"/> finished runs in all.</summary>
    public Task<JsonArray> WaitForSummariesAsync(int finishedRuns) => Eventually.Get(
        () => GetArrayAsync("/jobs"),
        jobs => jobs.Sum(j => j!["successCount"]!.GetValue<int>() + j["failureCount"]!.GetValue<int>() + j["launchFailureCount"]!.GetValue<int>()) == finishedRuns,
        what: $"job summaries covering {finishedRuns} finished runs");

    /// <summary>False for a host that is stopped to be started again on the same database.</summary>
    public bool DropSchemaOnDispose { get; init; } = true;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (!DropSchemaOnDispose)
            return;
        await postgres.DropAllInOneSchemasAsync(Schema);
    }
}
