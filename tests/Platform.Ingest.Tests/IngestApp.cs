using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Ingest;
using Platform.ServiceDefaults;

namespace Platform.Ingest.Tests;

/// <summary>
/// The real ingest app over HTTP, with MassTransit's test harness in place of the broker and a stand-in consumer on
/// history's queue (ingest waits for room in it on the in-memory bus).
/// </summary>
public sealed class IngestApp(Dictionary<string, string?>? settings = null) : WebApplicationFactory<IngestOptions>
{
    public const string ApiKey = "test-ingest-key-0123456789";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Ingest:ApiKey", ApiKey);
        builder.UseSetting("Bus:Transport", "InMemory");
        foreach (var (key, value) in settings ?? [])
            builder.UseSetting(key, value);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<HistoryStandIn>();
            services.AddMassTransitTestHarness(x => x.AddConsumer<HistoryStandInConsumer>().Endpoint(e => e.Name = PlatformTopology.HistoryEcsEvents));
        });
    }

    public ITestHarness Harness => Services.GetTestHarness();

    public HistoryStandIn History => Services.GetRequiredService<HistoryStandIn>();

    public HttpClient CreateAuthorizedClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return client;
    }

    public IReadOnlyList<RecordEcsEvents> SentBatches() =>
        Harness.Sent.Select<RecordEcsEvents>().Select(m => m.Context.Message).ToList();
}
