using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Platform.ServiceDefaults.Configuration;

/// <summary>
/// The current platform config. Loaded at start (an invalid file stops the service with its errors) and again
/// whenever the file changes; an invalid edit is logged and the last good config stays in force. On ECS the file's
/// content may come instead in <c>Platform:ConfigYaml</c> (a container secret from an SSM parameter), read at start.
/// </summary>
public sealed partial class PlatformConfigSource(IConfiguration configuration, ILogger<PlatformConfigSource> logger) : IHostedService, IDisposable
{
    private PhysicalFileProvider? files;
    private IDisposable? watch;

    public PlatformConfig Current { get; private set; } = PlatformConfig.Empty;

    public string? Path { get; } = configuration["Platform:ConfigFile"] is { Length: > 0 } p ? System.IO.Path.GetFullPath(p) : null;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (configuration["Platform:ConfigYaml"] is { Length: > 0 } yaml)
        {
            Current = PlatformConfigParser.Parse(yaml, "Platform:ConfigYaml");
            return Task.CompletedTask;
        }
        if (Path is null)
            return Task.CompletedTask;
        if (!File.Exists(Path))
            throw new PlatformConfigException([$"{Path}: Platform:ConfigFile names a file that does not exist"]);
        Current = Load();
        files = new PhysicalFileProvider(System.IO.Path.GetDirectoryName(Path)!) { UsePollingFileWatcher = true, UseActivePolling = true };
        watch = ChangeToken.OnChange(() => files.Watch(System.IO.Path.GetFileName(Path)), Reload);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private PlatformConfig Load() => PlatformConfigParser.Parse(File.ReadAllText(Path!), Path!);

    private void Reload()
    {
        try
        {
            Current = Load();
            LogReloaded(Path!, Current.Routes.Count);
        }
        catch (Exception e) when (e is PlatformConfigException or IOException)
        {
            LogReloadFailed(Path!, e.Message);
        }
    }

    public void Dispose()
    {
        watch?.Dispose();
        files?.Dispose();
    }

    [LoggerMessage(LogLevel.Information, "Reloaded {Path}: {Routes} route(s)")]
    private partial void LogReloaded(string path, int routes);

    [LoggerMessage(LogLevel.Error, "Kept the previous platform config: {Path} changed but cannot be used. {Reason}")]
    private partial void LogReloadFailed(string path, string reason);
}

public static class PlatformConfigExtensions
{
    public static IServiceCollection AddPlatformConfig(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(PlatformConfigSource)))
            return services;
        services.AddSingleton<PlatformConfigSource>();
        services.AddHostedService(sp => sp.GetRequiredService<PlatformConfigSource>());
        return services;
    }
}
