using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Platform.Dashboard.Tests;

/// <summary>
/// The dashboard as a person sees it: a real Chromium against the AllInOne host. Each test leaves screenshots in
/// artifacts/screenshots.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardInTheBrowserTests(PostgresFixture postgres, Browser browser) : IAsyncLifetime
{
    private static readonly LocatorAssertionsToHaveAttributeOptions FewSeconds = new() { Timeout = 10_000 };
    private readonly EcsEventFactory ecs = new();
    private readonly string configFile = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");
    private FakeSlack slack = null!;

    public async Task InitializeAsync()
    {
        slack = await FakeSlack.StartAsync();
        await File.WriteAllTextAsync(configFile, $"""
            monitors:
              - job: hourly-backup
                schedule: cron(0 * * * ? *)
                grace: 5m
            routes:
              - name: data-team
                match: {"{"} jobs: ["etl-*"] {"}"}
                slack: {"{"} webhookUrl: "{slack.WebhookUrl("DATA")}" {"}"}
              - name: ops
                match: {"{"} jobs: ["hourly-*"] {"}"}
                slack: {"{"} webhookUrl: "{slack.WebhookUrl("OPS")}" {"}"}
            """);
    }

    public async Task DisposeAsync()
    {
        await slack.DisposeAsync();
        File.Delete(configFile);
    }

    private async Task<IPage> SignedInPageAsync(DashboardHost host)
    {
        var page = await browser.Instance.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        await page.GotoAsync(host.BaseUrl + "/ui");
        Assert.EndsWith("/ui/sign-in?returnUrl=%2Fui", page.Url);
        await page.FillAsync("input[name=key]", "not the key at all");
        await page.ClickAsync("button[type=submit]");
        await Expect(page.Locator(".problem")).ToContainTextAsync("does not open");
        await page.FillAsync("input[name=key]", DashboardHost.AccessKey);
        await page.ClickAsync("button[type=submit]");
        await Expect(page.Locator("#overview")).ToBeVisibleAsync();
        return page;
    }

    [Fact]
    public async Task A_failed_task_turns_its_job_red_on_the_open_overview_without_a_reload_and_its_pages_show_the_runs_and_the_incident()
    {
        await using var host = new DashboardHost(postgres, configFile);
        var now = DateTimeOffset.UtcNow;
        await host.PostEventsAsync(ecs.Run("etl-orders", now.AddMinutes(-30), TimeSpan.FromMinutes(3)));
        await host.PostEventsAsync(ecs.Run("cleanup", now.AddMinutes(-20), TimeSpan.FromMinutes(1)));
        var page = await SignedInPageAsync(host);

        var row = page.Locator("tr[data-job='etl-orders']");
        await Expect(row).ToHaveAttributeAsync("data-status", "unknown", FewSeconds);
        await Expect(row.Locator(".mark.succeeded")).ToHaveCountAsync(1);
        await page.EvaluateAsync("() => window.__sameDocument = true");

        await host.PostEventsAsync(ecs.Run("etl-orders", now.AddMinutes(-10), TimeSpan.FromMinutes(2), RunEnding.ExitCode, exitCode: 3));

        await Expect(row).ToHaveAttributeAsync("data-status", "failing", FewSeconds);
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the overview was reloaded");
        await Expect(row.Locator(".badge")).ToHaveTextAsync("failing");
        await Expect(row.Locator(".mark")).ToHaveCountAsync(2);
        await Expect(row.Locator(".mark.failed")).ToHaveCountAsync(1);
        // Needs attention first: the failing job leads the table.
        await Expect(page.Locator("table.jobs tbody tr").First).ToHaveAttributeAsync("data-job", "etl-orders");
        await Expect(page.Locator(".count.status-failing")).ToHaveTextAsync("1 failing");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "overview.png"), FullPage = true });

        await page.SelectOptionAsync("select[name=status]", "failing");
        await page.ClickAsync("form.filters button");
        await Expect(page.Locator("table.jobs tbody tr")).ToHaveCountAsync(1);

        await row.Locator("a").ClickAsync();
        await Expect(page.Locator("h1 .badge")).ToHaveAttributeAsync("data-status", "failing");
        var runs = page.Locator("table.runs tbody tr");
        await Expect(runs).ToHaveCountAsync(2);
        await Expect(runs.Nth(0)).ToHaveAttributeAsync("data-outcome", "failed");
        await Expect(runs.Nth(0)).ToContainTextAsync("app: 3");
        await Expect(runs.Nth(1)).ToHaveAttributeAsync("data-outcome", "succeeded");
        await Expect(runs.Nth(0).Locator("a", new() { HasText = "task" })).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex(
            "^https://eu-west-1\\.console\\.aws\\.amazon\\.com/ecs/v2/clusters/batch/tasks/[0-9a-f]+/configuration"));
        await Expect(page.Locator("svg.timeline rect[data-kind=run]")).ToHaveCountAsync(2);
        await Expect(page.Locator("svg.timeline rect.run.failed")).ToHaveCountAsync(1);
        await Expect(page.Locator(".columns")).ToContainTextAsync("data-team");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "job.png"), FullPage = true });

        // The failure alerted data-team; the incident is open until a success.
        await page.ClickAsync("nav a[href='/ui/incidents']");
        var incident = page.Locator("table.incidents tr[data-job='etl-orders']");
        await Expect(incident).ToHaveAttributeAsync("data-state", "failing", FewSeconds);
        await Expect(incident).ToContainTextAsync("data-team");

        // A silence needs the admin key: a wrong one is refused with the notifier's reason, the right one shows the silence.
        await page.FillAsync("#silence-form [name=job]", "etl-orders");
        await page.FillAsync("#silence-form [name=reason]", "known outage");
        await page.FillAsync("#silence-form [name=adminKey]", "wrong-admin-key-0000000000");
        await page.ClickAsync("#silence-form button");
        await Expect(page.Locator("#silence-result")).ToContainTextAsync("401");
        await page.FillAsync("#silence-form [name=adminKey]", DashboardHost.AdminKey);
        await page.ClickAsync("#silence-form button");
        await Expect(page.Locator("table.silences tbody tr")).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Expect(page.Locator("table.silences")).ToContainTextAsync("known outage");
        await Expect(incident).ToHaveAttributeAsync("data-state", "silenced");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "incidents.png"), FullPage = true });

        // Removing it needs the admin key too; then the incident is failing again.
        await page.FillAsync("#silence-form [name=adminKey]", DashboardHost.AdminKey);
        await page.ClickAsync("[data-delete-silence]");
        await Expect(page.Locator("table.silences tbody tr")).ToHaveCountAsync(0, new() { Timeout = 10_000 });
        await Expect(incident).ToHaveAttributeAsync("data-state", "failing");
    }

    [Fact]
    public async Task A_missed_slot_appears_in_the_strip_of_the_open_overview()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 10, 0, 30, TimeSpan.Zero));
        await using var host = new DashboardHost(postgres, configFile, clock);
        await host.PostEventsAsync(ecs.Run("hourly-backup", clock.GetUtcNow().AddSeconds(-20), TimeSpan.FromSeconds(5)));
        var page = await SignedInPageAsync(host);
        var row = page.Locator("tr[data-job='hourly-backup']");
        await Expect(row.Locator(".mark.succeeded")).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Expect(row.Locator(".mark.missed")).ToHaveCountAsync(0);

        // 11:00 passes its 5-minute grace without a run.
        clock.SetUtcNow(new DateTimeOffset(2026, 11, 22, 11, 6, 0, TimeSpan.Zero));
        using var ticking = new Timer(_ => clock.Advance(TimeSpan.FromSeconds(1)), null, 0, 200);
        await Expect(row.Locator(".mark.missed")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(row).ToHaveAttributeAsync("data-status", "missed");
        await Expect(row.Locator(".mark").Last).ToHaveAttributeAsync("data-outcome", "missed");

        await row.Locator("a").ClickAsync();
        await Expect(page.Locator("svg.timeline polygon[data-kind=missed]")).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "job-missed.png"), FullPage = true });
    }
}
