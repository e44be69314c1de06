using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Platform.Testing;

namespace Platform.Dashboard.Tests;

/// <summary>The AllInOne host on a loopback port (a browser needs a real socket), on real PostgreSQL in schemas of its own.</summary>
public sealed class DashboardHost : IAsyncDisposable
{
    public const string IngestKey = "dashboard-ingest-key-0123456789";
    public const string AccessKey = "dashboard-access-key-0123456789";
    public const string AdminKey = "dashboard-admin-key-0123456789";

    private readonly PostgresFixture postgres;
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly WebApplicationFactory<Platform.AllInOne.Demo.DemoFeed> app;

    public DashboardHost(PostgresFixture postgres, string configFile, TimeProvider? clock = null)
    {
        this.postgres = postgres;
        var port = LoopbackPort.Free();
        BaseUrl = $"http://127.0.0.1:{port}";
        app = new WebApplicationFactory<Platform.AllInOne.Demo.DemoFeed>().WithWebHostBuilder(builder =>
        {
            builder.UseAllInOneTestSettings(postgres.ConnectionString, schema, IngestKey);
            builder.UseSetting("Platform:ConfigFile", configFile);
            builder.UseSetting("Digest:HistoryUrl", BaseUrl + "/");
            builder.UseSetting("History:MissedRunCheckInterval", "00:00:01");
            builder.UseSetting("Notifier:AdminApiKey", AdminKey);
            builder.UseSetting("Dashboard:AccessKey", AccessKey);
            builder.UseSetting("Digest:HistoryApiKey", AccessKey);
            builder.UseSetting("Dashboard:NotifierUrl", BaseUrl + "/");
            builder.UseSetting("Dashboard:RefreshInterval", "00:00:01");
            if (clock is not null)
                builder.ConfigureTestServices(services => services.AddSingleton(clock));
        });
        app.UseKestrel(options => options.Listen(IPAddress.Loopback, port));
        app.StartServer();
    }

    public string BaseUrl { get; }

    public async Task PostEventsAsync(IEnumerable<JsonObject> events)
    {
        using var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Add("X-Api-Key", IngestKey);
        var response = await client.PostAsync("/events", new StringContent(new JsonArray([.. events]).ToJsonString(), Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        await postgres.DropAllInOneSchemasAsync(schema);
    }
}
