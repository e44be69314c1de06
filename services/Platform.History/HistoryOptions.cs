using System.ComponentModel.DataAnnotations;
using Platform.ServiceDefaults;

namespace Platform.History;

public sealed class HistoryOptions : IPlatformOptions
{
    public static string SectionName => "History";

    /// <summary>Set from <c>ConnectionStrings:Postgres</c>.</summary>
    [Required(ErrorMessage = "ConnectionStrings:Postgres is required (set ConnectionStrings__Postgres).")]
    public string? ConnectionString { get; set; }

    /// <summary>The PostgreSQL schema that holds the event store and projections.</summary>
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$", ErrorMessage = "History:Schema must be a lower-case PostgreSQL identifier.")]
    public string Schema { get; set; } = "platform";

    /// <summary>How often scheduled monitors are checked for missed runs.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MissedRunCheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}
