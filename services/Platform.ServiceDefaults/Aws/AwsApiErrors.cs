using Refit;

namespace Platform.ServiceDefaults.Aws;

public static class AwsApiErrors
{
    /// <summary>What AWS answered, for a log line or a RelaunchFailed: the status and the start of ECS's error body.</summary>
    public static string Describe(ApiException e) =>
        $"{(int)e.StatusCode} {(e.Content is { Length: > 500 } content ? content[..500] : e.Content)}";
}
