using Platform.ServiceDefaults.Configuration;

namespace Platform.Notifier.Features.RouteAlerts;

/// <summary>Which routes a job's alerts go to: every route that matches, or else the default route.</summary>
public sealed class AlertRouter(PlatformConfigSource config)
{
    public IReadOnlyList<RouteConfig> RoutesFor(string job, string cluster)
    {
        var current = config.Current;
        return current.Routes.Count == 0 ? [ConsoleRoute] : current.RoutesFor(job, cluster);
    }

    /// <summary>Where the platform's own trouble goes: the default route (the console when no route is configured).</summary>
    public RouteConfig? Default() => config.Current.Routes.Count == 0 ? ConsoleRoute : config.Current.DefaultRoute is { } name ? Find(name) : null;

    public RouteConfig? Find(string name) =>
        config.Current.Routes.FirstOrDefault(r => r.Name == name) ?? (name == ConsoleRoute.Name && config.Current.Routes.Count == 0 ? ConsoleRoute : null);

    /// <summary>With no routes configured (the demo), alerts are written to the console instead of Slack.</summary>
    public static RouteConfig ConsoleRoute { get; } = new("console", [], [], new SlackConfig(null, null, null, Console: true), null, TimeSpan.FromHours(4), null);
}
