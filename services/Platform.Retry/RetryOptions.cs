using System.ComponentModel.DataAnnotations;
using Platform.ServiceDefaults;

namespace Platform.Retry;

public sealed class RetryOptions : IPlatformOptions
{
    public static string SectionName => "Retry";

    public EcsOptions Ecs { get; set; } = new();

    /// <summary>Set from <c>ConnectionStrings:Postgres</c>: pending relaunches are durable.</summary>
    [Required(ErrorMessage = "ConnectionStrings:Postgres is required (set ConnectionStrings__Postgres).")]
    public string? ConnectionString { get; set; }

    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$", ErrorMessage = "Retry:Schema must be a lower-case PostgreSQL identifier.")]
    public string Schema { get; set; } = "retry";

    /// <summary>How often due relaunches are looked for.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

public sealed class EcsOptions
{
    /// <summary>The AWS region of the monitored clusters.</summary>
    [Required(ErrorMessage = "Retry:Ecs:Region is required (set Retry__Ecs__Region, e.g. eu-west-1).")]
    public string Region { get; set; } = "";

    /// <summary>An endpoint override (the local ECS simulator, a VPC endpoint); default: ECS in <see cref="Region"/>.</summary>
    public Uri? ServiceUrl { get; set; }

    public Uri Endpoint => ServiceUrl ?? new Uri($"https://ecs.{Region}.amazonaws.com/");
}
