using Microsoft.Playwright;
using Platform.Testing;
using Xunit;

namespace Platform.Dashboard.Tests;

/// <summary>Debian's Chromium, headless, driven by Playwright; no browser download, no traffic beyond loopback.</summary>
public sealed class Browser : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";
    private IPlaywright? playwright;

    public IBrowser Instance { get; private set; } = null!;

    /// <summary>Where the test run leaves its screenshots for a reviewer: artifacts/screenshots at the repository root.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(RepositoryPaths.Root, "artifacts", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException($"These tests need Chromium at {ExecutablePath}: apt-get install -y chromium (deploy/local/infra.sh does).");
        playwright = await Playwright.CreateAsync();
        Instance = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // Root needs --no-sandbox; the rest keep Chromium from calling outside hosts.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Directory.CreateDirectory(ScreenshotFolder);
    }

    public async Task DisposeAsync()
    {
        if (Instance is not null)
            await Instance.DisposeAsync();
        playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<PostgresFixture>, ICollectionFixture<Browser>
{
    public const string Name = "dashboard";
}
