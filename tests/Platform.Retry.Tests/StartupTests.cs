using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults;
using Platform.Retry.Tests.Features.RetryFailures;
using Platform.Testing;
using Xunit;

namespace Platform.Retry.Tests;

/// <summary>A missing or bad setting stops retry at start with a message that names its key (not at its first AWS call).</summary>
[Collection(RetryCollection.Name)]
public class StartupTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("Aws:Region", "", "Aws:Region")]
    [InlineData("Aws:Region", "moon-base-1x", "Aws:Region")]
    public void A_bad_setting_stops_the_service_naming_its_key(string key, string value, string named)
    {
        var error = StartupFailure.Of(() => new WebApplicationFactory<RetryOptions>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Bus:Transport", "InMemory");
            b.UseSetting("ConnectionStrings:Postgres", postgres.ConnectionString);
            b.UseSetting("Retry:Schema", PostgresFixture.NewSchema());
            b.UseSetting("Aws:Region", "eu-west-1");
            b.UseSetting(key, value);
        }), app => app.Server);
        Assert.Contains(named, Assert.IsAssignableFrom<OptionsValidationException>(error).Message);
    }

    /// <summary>The intervals' ranges, checked by the same validation the service runs at start.</summary>
    [Theory]
    [InlineData("Retry:PollInterval", "00:00:00", "Retry:PollInterval")]
    [InlineData("Retry:CloudTrailLookupWindow", "1.00:00:00", "Retry:CloudTrailLookupWindow")]
    [InlineData("Retry:CloudTrailLookupInterval", "00:30:00", "Retry:CloudTrailLookupInterval")]
    public void An_interval_out_of_its_range_is_refused_naming_its_key(string key, string value, string named)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Retry:ConnectionString"] = "Host=unused", [key] = value }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddPlatformOptions<RetryOptions>();
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RetryOptions>>().Value);
        Assert.Contains(named, error.Message);
    }
}
