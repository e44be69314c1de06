using Refit;

namespace Platform.Retry.Features.CallEcs;

public static class EcsApiErrors
{
    /// <summary>What ECS answered, for a log line or a RelaunchFailed: the status and the start of ECS's error body.</summary>
    public static string Describe(ApiException e) =>
        $"{(int)e.StatusCode} {(e.Content is { Length: > 500 } content ? content[..500] : e.Content)}";
}
