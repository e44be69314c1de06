using System.ComponentModel.DataAnnotations;
using Platform.ServiceDefaults;

namespace Platform.Digest;

public sealed class DigestOptions : IPlatformOptions
{
    public static string SectionName => "Digest";

    /// <summary>Set from <c>ConnectionStrings:Postgres</c>: which period each route got last is durable.</summary>
    [Required(ErrorMessage = "ConnectionStrings:Postgres is required (set ConnectionStrings__Postgres).")]
    public string? ConnectionString { get; set; }

    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$", ErrorMessage = "Digest:Schema must be a lower-case PostgreSQL identifier.")]
    public string Schema { get; set; } = "digest";

    /// <summary>History's base URL (its <c>GET /reports</c>), e.g. http://history:8080/.</summary>
    [Required(ErrorMessage = "Digest:HistoryUrl is required (set Digest__HistoryUrl to history's base URL).")]
    public Uri? HistoryUrl { get; set; }

    /// <summary>History's read key (its <c>Dashboard:AccessKey</c>), sent with each report request.</summary>
    [Required(ErrorMessage = "Digest:HistoryApiKey is required (set Digest__HistoryApiKey to history's Dashboard__AccessKey).")]
    [MinLength(16, ErrorMessage = "Digest:HistoryApiKey must be at least 16 characters.")]
    public string? HistoryApiKey { get; set; }

    /// <summary>How often the routes' digest schedules are checked.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}
