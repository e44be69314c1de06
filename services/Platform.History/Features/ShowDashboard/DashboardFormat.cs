using System.Globalization;

namespace Platform.History.Features.ShowDashboard;

/// <summary>Times and durations as the pages show them: relative for a glance, UTC in full on hover.</summary>
public static class DashboardFormat
{
    public static string Utc(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "–";

    public static string Ago(DateTimeOffset? time, DateTimeOffset now)
    {
        if (time is not { } t)
            return "never";
        var span = now - t;
        var future = span < TimeSpan.Zero;
        span = span.Duration();
        var text = span.TotalSeconds < 60 ? $"{(int)span.TotalSeconds}s"
            : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes} min"
            : span.TotalHours < 48 ? $"{(int)span.TotalHours} h"
            : $"{(int)span.TotalDays} d";
        return future ? "in " + text : text + " ago";
    }

    /// <summary>A coordinate in an SVG attribute: invariant, one decimal at most.</summary>
    public static string Svg(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan? duration) => duration is { } d
        ? d.TotalHours >= 1 ? $"{(int)d.TotalHours}h {d.Minutes}m" : d.TotalMinutes >= 1 ? $"{d.Minutes}m {d.Seconds}s" : $"{d.TotalSeconds:0.#}s"
        : "–";
}
