namespace Platform.Contracts.History;

/// <summary>
/// A task of a job was seen for the first time, before it stopped, published for jobs whose monitor has a timeout (what
/// retry watches), on a watched cluster; never for an import. Dedupe on <see cref="RunId"/>.
/// <see cref="Replayed"/>: it came from an import, and nothing may act on it (kept for consumers of older messages).
/// </summary>
public record RunStarted(string RunId, string Job, string Cluster, string TaskArn, string Region, DateTimeOffset CreatedAt, string? StartedBy,
    bool Replayed = false);
