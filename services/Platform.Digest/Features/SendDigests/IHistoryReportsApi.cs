using Platform.Contracts.Digest;
using Refit;

namespace Platform.Digest.Features.SendDigests;

/// <summary>History's period reports. Times travel as ISO 8601 strings (Refit would format a DateTimeOffset by culture).</summary>
public interface IHistoryReportsApi
{
    [Get("/reports")]
    Task<List<JobDigest>> GetReportsAsync(string from, string to, CancellationToken ct);
}
