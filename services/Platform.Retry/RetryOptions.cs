using System.ComponentModel.DataAnnotations;
using Platform.ServiceDefaults;

namespace Platform.Retry;

public sealed class RetryOptions : IPlatformOptions
{
    public static string SectionName => "Retry";

    /// <summary>Set from <c>ConnectionStrings:Postgres</c>: pending relaunches are durable.</summary>
    [Required(ErrorMessage = "ConnectionStrings:Postgres is required (set ConnectionStrings__Postgres).")]
    public string? ConnectionString { get; set; }

    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$", ErrorMessage = "Retry:Schema must be a lower-case PostgreSQL identifier.")]
    public string Schema { get; set; } = "retry";

    /// <summary>How often due relaunches are looked for.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long to keep asking CloudTrail for the record of a failed RunTask before refusing to relaunch it. CloudTrail's
    /// lookup can lag the event by several minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan CloudTrailLookupWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long to wait before asking CloudTrail again for a record it did not know yet.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan CloudTrailLookupInterval { get; set; } = TimeSpan.FromSeconds(30);
}
