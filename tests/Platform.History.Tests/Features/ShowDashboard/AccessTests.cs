using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.ShowDashboard;

/// <summary>
/// History's reads disclose account ids, task ARNs and reasons: every one needs the dashboard's key; the sign-in form
/// is small and rate-limited; the pages say what may load them and that no site may frame them.
/// </summary>
[Collection(PostgresCollection.Name)]
public class AccessTests(PostgresFixture postgres)
{
    private const string AccessKey = "access-tests-key-0123456789";
    private static readonly WebApplicationFactoryClientOptions NoRedirects = new() { AllowAutoRedirect = false, HandleCookies = false };

    private HistoryApp Start(Dictionary<string, string>? more = null) => new(postgres)
    {
        Settings = new Dictionary<string, string>(more ?? []) { ["Dashboard:AccessKey"] = AccessKey },
    };

    public static TheoryData<string> Reads => new()
    {
        "/jobs", "/jobs/nightly-report", "/jobs/nightly-report/runs", "/jobs/nightly-report/retries", "/jobs/nightly-report/gaps",
        "/reports?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z",
    };

    [Fact]
    public async Task Every_read_of_the_JSON_API_needs_the_key_and_health_does_not()
    {
        await using var app = Start();
        var anonymous = app.CreateClient(NoRedirects);
        var wrong = app.CreateClient(NoRedirects).WithReadKey("wrong-key-0123456789012");
        var right = app.CreateClient(NoRedirects).WithReadKey(AccessKey);
        foreach (var path in Reads)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(path)).StatusCode);
            Assert.NotEqual(HttpStatusCode.Unauthorized, (await right.GetAsync(path)).StatusCode);
        }
        var refusal = await (await anonymous.GetAsync("/jobs")).Content.ReadAsStringAsync();
        Assert.Contains("X-Api-Key", refusal);
        Assert.DoesNotContain(AccessKey, refusal);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/alive")).StatusCode);
    }

    [Fact]
    public async Task Reports_refuse_a_period_longer_than_31_days()
    {
        await using var app = Start();
        var client = app.CreateClient().WithReadKey(AccessKey);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/reports?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/reports?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z")).StatusCode);
    }

    [Fact]
    public async Task Sign_in_takes_a_small_form_only_and_at_most_ten_tries_a_minute()
    {
        await using var app = Start();
        var client = app.CreateClient(NoRedirects);
        var large = new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = new string('k', 25 * 1024 * 1024) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync("/ui/sign-in", large)).StatusCode);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
            statuses.Add((await client.PostAsync("/ui/sign-in", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = $"guess-{i:D20}" }))).StatusCode);
        // The large form counted as the first try.
        Assert.Equal(9, statuses.Count(s => s == HttpStatusCode.Redirect));
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    [Fact]
    public async Task Pages_forbid_framing_and_foreign_scripts_and_the_cookie_is_Secure_behind_a_trusted_TLS_proxy()
    {
        await using var host = Start(new() { ["Http:TrustedProxies:0"] = "127.0.0.1" });
        // TestServer's requests come from no address: these come from the proxy's.
        await using var app = host.WithWebHostBuilder(b => b.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, FromLoopback>()));
        var client = app.CreateClient(NoRedirects);
        var page = await client.GetAsync("/ui/sign-in");
        var policy = string.Join(" ", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.Contains("script-src 'self'", policy);
        Assert.Contains("default-src 'none'", policy);
        Assert.Equal("DENY", Assert.Single(page.Headers.GetValues("X-Frame-Options")));

        var form = new Dictionary<string, string> { ["key"] = AccessKey };
        var plain = await client.PostAsync("/ui/sign-in", new FormUrlEncodedContent(form));
        Assert.DoesNotContain("secure", Assert.Single(plain.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
        var viaTls = new HttpRequestMessage(HttpMethod.Post, "/ui/sign-in") { Content = new FormUrlEncodedContent(form) };
        viaTls.Headers.Add("X-Forwarded-Proto", "https");
        viaTls.Headers.Add("X-Forwarded-For", "203.0.113.7");
        var secure = await client.SendAsync(viaTls);
        Assert.Contains("secure", Assert.Single(secure.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Only_the_hosts_in_AllowedHosts_are_served()
    {
        await using var app = Start(new() { ["AllowedHosts"] = "localhost;127.0.0.1" });
        var client = app.CreateClient(NoRedirects);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);
        var elsewhere = new HttpRequestMessage(HttpMethod.Get, "/alive");
        elsewhere.Headers.Host = "evil.example";
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(elsewhere)).StatusCode);
    }

    private sealed class FromLoopback : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, then) =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Loopback;
                return then(context);
            });
            next(app);
        };
    }
}
