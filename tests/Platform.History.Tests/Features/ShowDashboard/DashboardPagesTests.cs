using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.ShowDashboard;

[Collection(PostgresCollection.Name)]
public class DashboardPagesTests(PostgresFixture postgres)
{
    private const string AccessKey = "pages-access-key-0123456789";
    private static readonly WebApplicationFactoryClientOptions NoRedirects = new() { AllowAutoRedirect = false, HandleCookies = false };
    private readonly DateTimeOffset now = DateTimeOffset.UtcNow;

    private HistoryApp Start(string? accessKey = AccessKey) => new(postgres)
    {
        // No key: the test host's read key is taken away too.
        Settings = new Dictionary<string, string> { ["Dashboard:AccessKey"] = accessKey ?? "" },
    };

    [Fact]
    public async Task Without_an_access_key_the_dashboard_is_off_and_says_how_to_turn_it_on()
    {
        await using var app = Start(accessKey: null);
        var response = await app.CreateClient(NoRedirects).GetAsync("/ui");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("Dashboard__AccessKey", await response.Content.ReadAsStringAsync());
        // History's JSON API is closed too: without a key nothing opens it.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.CreateClient().GetAsync("/jobs")).StatusCode);
    }

    [Fact]
    public async Task Pages_need_the_key_once_and_then_a_cookie_that_does_not_hold_it()
    {
        await using var app = Start();
        var client = app.CreateClient(NoRedirects);

        var anonymous = await client.GetAsync("/ui/jobs/x?a=1");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal("/ui/sign-in?returnUrl=%2Fui%2Fjobs%2Fx%3Fa%3D1", anonymous.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/ui/silences", new StringContent("{}"))).StatusCode);
        var script = new HttpRequestMessage(HttpMethod.Get, "/ui/overview");
        script.Headers.Add("X-Api-Key", "wrong-key-0123456789");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(script)).StatusCode);

        var wrong = await client.PostAsync("/ui/sign-in", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = "wrong-key-0123456789", ["returnUrl"] = "/ui" }));
        Assert.Equal("/ui/sign-in?failed=true&returnUrl=%2Fui", wrong.Headers.Location!.OriginalString);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));

        // Only dashboard paths are followed after signing in: never another host.
        var signedIn = await client.PostAsync("/ui/sign-in", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = AccessKey, ["returnUrl"] = "//elsewhere.example/" }));
        Assert.Equal("/ui", signedIn.Headers.Location!.OriginalString);
        var cookie = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(AccessKey, Uri.UnescapeDataString(cookie));

        var withCookie = new HttpRequestMessage(HttpMethod.Get, "/ui");
        withCookie.Headers.Add("Cookie", cookie.Split(';')[0]);
        var page = await client.SendAsync(withCookie);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<table class=\"jobs\">", await page.Content.ReadAsStringAsync());

        var forged = new HttpRequestMessage(HttpMethod.Get, "/ui");
        forged.Headers.Add("Cookie", $"platform_dashboard={AccessKey}");
        Assert.Equal(HttpStatusCode.Redirect, (await client.SendAsync(forged)).StatusCode);
    }

    [Fact]
    public async Task The_overview_puts_failing_jobs_first_and_filters_by_status_and_cluster()
    {
        await using var app = Start();
        var batch = new EcsEventFactory();
        var nightly = new EcsEventFactory(cluster: "nightly");
        await app.PostAsync([.. batch.Run("a-fine", now.AddHours(-30), TimeSpan.FromMinutes(1)), .. batch.Run("a-fine", now.AddHours(-2), TimeSpan.FromMinutes(1)),
            .. batch.Run("z-broken", now.AddHours(-1), TimeSpan.FromMinutes(1), RunEnding.ExitCode),
            .. nightly.Run("m-nightly", now.AddHours(-3), TimeSpan.FromMinutes(1))]);
        await app.WaitForSummariesAsync(4);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", AccessKey);

        var all = await client.GetStringAsync("/ui/overview");
        Assert.Equal(["z-broken", "a-fine", "m-nightly"], Rows(all));
        Assert.Contains("<a class=\"count status-failing\" href=\"/ui?status=failing\">1 failing</a>", all);
        // a-fine: one success within 24 h, both within 7 days.
        Assert.Matches("data-job=\"a-fine\"[\\s\\S]*?<span class=\"ok\">1</span> / <span>0</span></td>\\s*<td class=\"num\"><span class=\"ok\">2</span>", all);

        Assert.Equal(["z-broken"], Rows(await client.GetStringAsync("/ui/overview?status=failing")));
        Assert.Equal(["m-nightly"], Rows(await client.GetStringAsync("/ui/overview?cluster=nightly")));
        Assert.Equal(["a-fine", "m-nightly", "z-broken"], Rows(await client.GetStringAsync("/ui/overview?sort=name")));

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/ui/jobs/never-seen")).StatusCode);
        var job = await client.GetStringAsync("/ui/jobs/z-broken");
        Assert.Contains("data-outcome=\"failed\"", job);
        Assert.Contains("app exited with code 1", job);
        Assert.Contains("href=\"https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/batch/tasks/", job);
    }

    [Fact]
    public async Task A_forged_region_gets_no_console_link_on_the_job_page()
    {
        await using var app = Start();
        var run = new EcsEventFactory().Run("forged-region", now.AddHours(-1), TimeSpan.FromMinutes(1), RunEnding.ExitCode);
        foreach (var e in run)
            e["region"] = "evil.example/#";
        await app.PostAsync(run);
        await app.WaitForSummariesAsync(1);
        var client = app.CreateClient().WithReadKey(AccessKey);

        var job = await client.GetStringAsync("/ui/jobs/forged-region");
        Assert.Contains("app exited with code 1", job);
        Assert.DoesNotContain("console.aws.amazon.com", job);
        Assert.DoesNotMatch("href=\"[^\"]*evil", job);
    }

    [Fact]
    public async Task The_incidents_page_says_when_the_notifier_is_not_configured_or_does_not_answer()
    {
        await using var unconfigured = Start();
        var client = unconfigured.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", AccessKey);
        Assert.Contains("Set Dashboard__NotifierUrl", await client.GetStringAsync("/ui/incidents"));

        // Nothing listens on the discard port.
        await using var unreachable = new HistoryApp(postgres)
        {
            Settings = new Dictionary<string, string> { ["Dashboard:AccessKey"] = AccessKey, ["Dashboard:NotifierUrl"] = "http://127.0.0.1:9/" },
        };
        client = unreachable.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", AccessKey);
        var page = await client.GetAsync("/ui/incidents");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("The notifier did not answer", await page.Content.ReadAsStringAsync());
    }

    private static List<string> Rows(string html) =>
        [.. System.Text.RegularExpressions.Regex.Matches(html, "<tr data-job=\"([^\"]+)\"").Select(m => m.Groups[1].Value)];
}
