using System.ComponentModel.DataAnnotations;
using Platform.ServiceDefaults;

namespace Platform.Notifier;

public sealed class NotifierOptions : IPlatformOptions
{
    public static string SectionName => "Notifier";

    /// <summary>Set from <c>ConnectionStrings:Postgres</c>: pending deliveries are stored before they are sent.</summary>
    [Required(ErrorMessage = "ConnectionStrings:Postgres is required (set ConnectionStrings__Postgres).")]
    public string? ConnectionString { get; set; }

    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$", ErrorMessage = "Notifier:Schema must be a lower-case PostgreSQL identifier.")]
    public string Schema { get; set; } = "notifier";

    /// <summary>Slack's Web API (chat.postMessage); a stand-in in tests.</summary>
    [Required]
    public Uri SlackApiUrl { get; set; } = new("https://slack.com/");

    /// <summary>The key that the admin endpoints (<c>POST /silences</c>) require in <c>X-Api-Key</c>; it opens the reads too.</summary>
    [MinLength(16, ErrorMessage = "Notifier:AdminApiKey must be at least 16 characters.")]
    public string? AdminApiKey { get; set; }

    /// <summary>The key that the reads (<c>GET /deliveries</c>, <c>/incidents</c>, <c>/silences</c>) take: the dashboard's.</summary>
    [MinLength(16, ErrorMessage = "Notifier:ReadApiKey must be at least 16 characters.")]
    public string? ReadApiKey { get; set; }

    /// <summary>At most one message per this interval to one destination (Slack's own limit is about one per second).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MinimumInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
