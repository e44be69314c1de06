using System.ComponentModel.DataAnnotations;
using Platform.ServiceDefaults;

namespace Platform.History.Features.ShowDashboard;

public sealed class DashboardOptions : IPlatformOptions, IValidatableObject
{
    public static string SectionName => "Dashboard";

    /// <summary>The key that opens the dashboard (asked once per browser, then kept in a cookie); unset: the dashboard is off.</summary>
    public string? AccessKey { get; set; }

    /// <summary>No key: only behind a reverse proxy that authenticates its users.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>The notifier's base URL, for the incidents page and silences; unset: that page says so.</summary>
    public Uri? NotifierUrl { get; set; }

    /// <summary>The notifier's read key (<c>Notifier:ReadApiKey</c>), which the incidents page sends for its reads.</summary>
    public string? NotifierApiKey { get; set; }

    /// <summary>How often an open overview refreshes itself.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(3);

    public bool Enabled => AllowAnonymous || !string.IsNullOrEmpty(AccessKey);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AccessKey is { Length: > 0 and < 16 })
            yield return new ValidationResult("Dashboard:AccessKey must be at least 16 characters.", [nameof(AccessKey)]);
        if (RefreshInterval < TimeSpan.FromSeconds(1))
            yield return new ValidationResult("Dashboard:RefreshInterval must be at least one second.", [nameof(RefreshInterval)]);
    }
}
