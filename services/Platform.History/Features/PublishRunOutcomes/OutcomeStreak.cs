namespace Platform.History.Features.PublishRunOutcomes;

/// <summary>
/// What the outcome publisher remembers of a job between pages, so that it tells a success only to whom it may matter:
/// when it last told of a problem (a failed run, a launch failure, a missed run) and how many later successes it has
/// told since. Stored in the same commit as the subscription's progress, so a page published again decides the same.
/// </summary>
public sealed record OutcomeStreak(string Id, DateTimeOffset? LastProblemAt, int SuccessesTold)
{
    /// <summary>
    /// A success ends an incident (the notifier's only use of it) when it stopped after the last problem: the first
    /// <paramref name="recoverAfter"/> of them are told (a monitor may want that many in a row before it recovers). A
    /// job whose streak is unknown (new, or problems told before streaks were kept) has its first success told, in case
    /// an incident is open.
    /// </summary>
    public static bool Tells(OutcomeStreak? streak, DateTimeOffset stoppedAt, int recoverAfter) =>
        streak is null || (streak.LastProblemAt is { } problem && stoppedAt > problem && streak.SuccessesTold < recoverAfter);

    public static OutcomeStreak Told(OutcomeStreak? streak, string job) =>
        streak is null ? new OutcomeStreak(job, null, 1) : streak with { SuccessesTold = streak.SuccessesTold + 1 };

    public static OutcomeStreak Problem(OutcomeStreak? streak, string job, DateTimeOffset at) =>
        new(job, streak?.LastProblemAt is { } last && last > at ? last : at, 0);
}
