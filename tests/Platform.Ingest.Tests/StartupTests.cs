using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;
using Platform.Testing;
using Xunit;

namespace Platform.Ingest.Tests;

/// <summary>A missing or bad setting, nested ones included, stops ingest at start with a message that names its key.</summary>
public class StartupTests
{
    [Theory]
    [InlineData("Ingest:Sqs:WaitTimeSeconds", "99", "Ingest:Sqs:WaitTimeSeconds")]
    [InlineData("Ingest:Sqs:ConcurrentReceives", "0", "Ingest:Sqs:ConcurrentReceives")]
    [InlineData("Ingest:BacklogWait", "01:00:00", "Ingest:BacklogWait")]
    [InlineData("Ingest:ApiKey", "short", "Ingest:ApiKey")]
    [InlineData("Aws:Region", "moon-base-1x", "Aws:Region")]
    [InlineData("Bus:RetryIntervals:0", "02:00:00", "Bus:RetryIntervals")]
    [InlineData("Http:TrustedProxies:0", "not-an-address", "Http:TrustedProxies")]
    public void A_bad_setting_stops_the_service_naming_its_key(string key, string value, string named)
    {
        var error = StartupFailure.Of(() => new WebApplicationFactory<IngestOptions>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Ingest:ApiKey", "startup-test-key-0123456789");
            b.UseSetting("Bus:Transport", "InMemory");
            b.UseSetting(key, value);
        }), app => app.Server);
        // Options validation's own exception, or MassTransit's around it when the bus reads its options first.
        Assert.NotNull(error);
        Assert.Contains(named, error.ToString());
        Assert.Contains(typeof(OptionsValidationException).FullName!, error.ToString());
    }
}
