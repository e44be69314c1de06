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

    /// <summary>How often ended Step Functions executions are read (GetExecutionHistory) and held task failures settled.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ExecutionLinkInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a failed ECS task started by Step Functions waits for its execution before it is alerted on its own,
    /// when no execution that could have run it is open (its execution's events may come a little after its own).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan AttemptGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The longest a failed task waits for an execution that is still running (or whose end never arrived).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan AttemptHoldLimit { get; set; } = TimeSpan.FromHours(6);
}
