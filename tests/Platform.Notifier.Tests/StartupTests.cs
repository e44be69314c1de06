using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;
using Platform.Testing;
using Xunit;

namespace Platform.Notifier.Tests;

/// <summary>A missing or bad setting stops the notifier, the digest service and history at start, naming its key.</summary>
[Collection(NotifierCollection.Name)]
public class StartupTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("Notifier:MinimumInterval", "02:00:00", "Notifier:MinimumInterval")]
    [InlineData("Notifier:ReadApiKey", "short", "Notifier:ReadApiKey")]
    public void A_bad_notifier_setting_stops_it_naming_its_key(string key, string value, string named) =>
        AssertStops(new WebApplicationFactory<NotifierOptions>(), key, value, named);

    [Theory]
    [InlineData("Digest:HistoryApiKey", "", "Digest:HistoryApiKey")]
    [InlineData("Digest:CheckInterval", "00:00:00", "Digest:CheckInterval")]
    public void A_bad_digest_setting_stops_it_naming_its_key(string key, string value, string named) =>
        AssertStops(new WebApplicationFactory<Platform.Digest.DigestOptions>(), key, value, named);

    [Theory]
    [InlineData("History:MissedRunCheckInterval", "00:00:00", "History:MissedRunCheckInterval")]
    [InlineData("Dashboard:AccessKey", "short", "Dashboard:AccessKey")]
    public void A_bad_history_setting_stops_it_naming_its_key(string key, string value, string named) =>
        AssertStops(new WebApplicationFactory<Platform.History.HistoryOptions>(), key, value, named);

    private void AssertStops<T>(WebApplicationFactory<T> factory, string key, string value, string named) where T : class
    {
        var error = StartupFailure.Of(() => factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("Bus:Transport", "InMemory");
            b.UseSetting("ConnectionStrings:Postgres", postgres.ConnectionString);
            b.UseSetting("Notifier:Schema", PostgresFixture.NewSchema());
            b.UseSetting("Digest:Schema", PostgresFixture.NewSchema());
            b.UseSetting("History:Schema", PostgresFixture.NewSchema());
            b.UseSetting("Digest:HistoryUrl", "http://127.0.0.1:9/");
            b.UseSetting("Digest:HistoryApiKey", "startup-test-key-0123456789");
            b.UseSetting(key, value);
        }), app => app.Server);
        Assert.Contains(named, Assert.IsAssignableFrom<OptionsValidationException>(error).Message);
    }
}
