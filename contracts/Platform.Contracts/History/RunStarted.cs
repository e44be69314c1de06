namespace Platform.Contracts.History;

/// <summary>
/// A task of a job was seen for the first time, before it stopped. Published once per run; dedupe on <see cref="RunId"/>.
/// <see cref="Replayed"/>: it came from an import, and nothing may act on it.
/// </summary>
public record RunStarted(string RunId, string Job, string Cluster, string TaskArn, string Region, DateTimeOffset CreatedAt, string? StartedBy,
    bool Replayed = false);
