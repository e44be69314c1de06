using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace Platform.ServiceDefaults.Aws;

/// <summary>
/// Where the services' AWS calls go: every API the platform calls (ECS, CloudTrail, SQS) is in <see cref="Region"/>.
/// <see cref="ServiceUrl"/> is for tests and the local simulator only: one endpoint that receives every call, told
/// apart by <c>X-Amz-Target</c>.
/// </summary>
public sealed partial class AwsOptions : IPlatformOptions
{
    public static string SectionName => "Aws";

    [RegularExpression(AwsRegion.Pattern, ErrorMessage = "Aws:Region must be an AWS region name such as eu-west-1.")]
    public string? Region { get; set; }

    public Uri? ServiceUrl { get; set; }

    /// <summary>The endpoint of <paramref name="service"/> (its endpoint prefix, e.g. <c>ecs</c>, <c>cloudtrail</c>).</summary>
    public Uri EndpointFor(string service) => ServiceUrl ?? new Uri($"https://{service}.{Region}.amazonaws.com/");
}

public static partial class AwsRegion
{
    /// <summary>AWS's own region names (<c>us-east-1</c>, <c>us-gov-west-1</c>, <c>ap-southeast-5</c>), nothing else.</summary>
    public const string Pattern = "^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$";

    public static bool IsValid(string? region) => region is not null && Regex().IsMatch(region);

    [GeneratedRegex(Pattern)]
    private static partial Regex Regex();
}
