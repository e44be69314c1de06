namespace Platform.Contracts.Notifier;

/// <summary>
/// One incident as the notifier's <c>GET /incidents</c> gives it: a job failing on one route, what was alerted and
/// how it ended. <see cref="State"/> is <c>recovered</c>, <c>failing</c> or <c>silenced</c>; <see cref="AlertStatus"/>
/// is what became of the first alert (<c>pending</c>, <c>sent</c>, <c>grouped</c>, <c>silenced</c>, <c>failed</c>).
/// </summary>
public sealed record IncidentReport(
    string Route,
    string Job,
    string State,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ClosedAt,
    int Failures,
    string LastSummary,
    DateTimeOffset LastFailureAt,
    DateTimeOffset LastNotifiedAt,
    string AlertStatus);
