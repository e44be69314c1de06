namespace Platform.Contracts.Digest;

/// <summary>
/// The digest of one route for the period [<paramref name="From"/>, <paramref name="To"/>): sent even when nothing
/// happened, which shows the monitoring itself is alive. One per route and period; dedupe on the message id.
/// </summary>
public record DigestReady(string Route, DateTimeOffset From, DateTimeOffset To, string TimeZone, IReadOnlyList<JobDigest> Jobs);
