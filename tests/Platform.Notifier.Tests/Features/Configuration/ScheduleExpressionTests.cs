using Platform.ServiceDefaults.Configuration;
using Xunit;

namespace Platform.Notifier.Tests.Features.Configuration;

public class ScheduleExpressionTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static ScheduleExpression Parse(string text) =>
        ScheduleExpression.TryParse(text, out var schedule, out var error) ? schedule! : throw new Xunit.Sdk.XunitException($"{text}: {error}");

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text + "Z", System.Globalization.CultureInfo.InvariantCulture);

    // EventBridge's own examples and the special characters, from 2026-11-22 (a Sunday) 00:00 UTC.
    [Theory]
    [InlineData("cron(0 10 * * ? *)", "2026-11-22T10:00:00", "2026-11-23T10:00:00")]
    [InlineData("cron(15 12 * * ? *)", "2026-11-22T12:15:00", "2026-11-23T12:15:00")]
    [InlineData("cron(0 18 ? * MON-FRI *)", "2026-11-23T18:00:00", "2026-11-24T18:00:00")]
    [InlineData("cron(0 18 ? * 2-6 *)", "2026-11-23T18:00:00", "2026-11-24T18:00:00")]
    [InlineData("cron(0 8 1 * ? *)", "2026-12-01T08:00:00", "2027-01-01T08:00:00")]
    [InlineData("cron(0/15 * * * ? *)", "2026-11-22T00:15:00", "2026-11-22T00:30:00")]
    [InlineData("cron(0/5 8-17 ? * MON-FRI *)", "2026-11-23T08:00:00", "2026-11-23T08:05:00")]
    [InlineData("cron(0 9 ? * 2#1 *)", "2026-12-07T09:00:00", "2027-01-04T09:00:00")]
    [InlineData("cron(0 12 ? * 6L *)", "2026-11-27T12:00:00", "2026-12-25T12:00:00")]
    [InlineData("cron(0 0 L * ? *)", "2026-11-30T00:00:00", "2026-12-31T00:00:00")]
    [InlineData("cron(0 0 15W * ? *)", "2026-12-15T00:00:00", "2027-01-15T00:00:00")]
    [InlineData("cron(0 0 1W * ? *)", "2026-12-01T00:00:00", "2027-01-01T00:00:00")]
    [InlineData("cron(30 6 ? * 1 *)", "2026-11-22T06:30:00", "2026-11-29T06:30:00")]
    [InlineData("cron(0 0 1 1 ? 2028,2030)", "2028-01-01T00:00:00", "2030-01-01T00:00:00")]
    [InlineData("cron(0 0 29 2 ? 2027-2030)", "2028-02-29T00:00:00", null)]
    [InlineData("rate(5 minutes)", "2026-11-22T00:05:00", "2026-11-22T00:10:00")]
    [InlineData("rate(1 hour)", "2026-11-22T01:00:00", "2026-11-22T02:00:00")]
    [InlineData("rate(2 days)", "2026-11-23T00:00:00", "2026-11-25T00:00:00")]
    // Steps count within the week (1 SUN to 7 SAT) and never wrap to Sunday; a bare L is the week's last day, Saturday.
    [InlineData("cron(0 10 ? * 2/3 *)", "2026-11-23T10:00:00", "2026-11-26T10:00:00")]
    [InlineData("cron(0 10 ? * 5/3 *)", "2026-11-26T10:00:00", "2026-12-03T10:00:00")]
    [InlineData("cron(0 10 ? * L *)", "2026-11-28T10:00:00", "2026-12-05T10:00:00")]
    public void Next_slots_match_EventBridge(string expression, string first, string? second)
    {
        var schedule = Parse(expression);
        var next = schedule.Next(Utc("2026-11-22T00:00:00"), TimeZoneInfo.Utc);
        Assert.Equal(Utc(first), next);
        Assert.Equal(second is null ? null : Utc(second), schedule.Next(next!.Value, TimeZoneInfo.Utc));
    }

    [Fact]
    public void A_time_zone_moves_the_slots_and_daylight_saving_skips_or_keeps_once_as_EventBridge_Scheduler_does()
    {
        var nightly = Parse("cron(30 2 * * ? *)");
        // 2027-03-28: Berlin jumps from 02:00 to 03:00, so 02:30 does not exist that day.
        Assert.Equal([Utc("2027-03-27T01:30:00"), Utc("2027-03-29T00:30:00")],
            nightly.Between(Utc("2027-03-27T00:00:00"), Utc("2027-03-29T12:00:00"), Berlin));
        // 2026-10-25: 02:30 happens twice (CEST, then CET); the schedule runs once.
        Assert.Equal([Utc("2026-10-24T00:30:00"), Utc("2026-10-25T00:30:00"), Utc("2026-10-26T01:30:00")],
            nightly.Between(Utc("2026-10-24T00:00:00"), Utc("2026-10-26T12:00:00"), Berlin));
    }

    [Theory]
    [InlineData("cron(0 10 ? * MON/2 *)", "MON,WED,FRI")]
    [InlineData("cron(0 10 ? * */3 *)", "SUN,WED,SAT")]
    [InlineData("cron(0 10 ? * 2-5/2 *)", "MON,WED")]
    public void A_step_in_day_of_week_names_only_days_of_one_week(string expression, string days)
    {
        var schedule = Parse(expression);
        var fired = schedule.Between(Utc("2026-11-21T12:00:00"), Utc("2026-12-05T12:00:00"), TimeZoneInfo.Utc)
            .Select(t => t.DayOfWeek.ToString()[..3].ToUpperInvariant()).Distinct().Order().ToList();
        Assert.Equal(days.Split(',').Order(), fired);
    }

    /// <summary>
    /// A wall time the clocks repeat runs once, for wildcard and step hours too (EventBridge Scheduler: "a repeated
    /// time runs once"): in Berlin (autumn 2026), Sydney (southern hemisphere, April 2027) and Lord Howe Island, whose
    /// clocks go back by 30 minutes.
    /// </summary>
    [Theory]
    // Berlin: 02:00 and 02:30 CEST, then 03:00 and 03:30 CET (not 02:00 and 02:30 again).
    [InlineData("Europe/Berlin", "cron(0/30 * * * ? *)", "2026-10-24T23:59:00", "2026-10-25T02:30:00", 4)]
    // Sydney: 01:00 and 02:00 AEDT, then 03:00 AEST (02:00 not again).
    [InlineData("Australia/Sydney", "cron(0 * * * ? *)", "2027-04-03T13:59:00", "2027-04-03T17:30:00", 3)]
    // Lord Howe: 01:00–01:45 at +11, then 02:00–02:30 at +10:30 (01:30 and 01:45 not again).
    [InlineData("Australia/Lord_Howe", "cron(0/15 * * * ? *)", "2027-04-03T13:59:00", "2027-04-03T16:00:00", 7)]
    public void A_repeated_wall_time_runs_once_in_any_zone(string zone, string expression, string from, string to, int count)
    {
        var tz = TimeZoneInfo.FindSystemTimeZoneById(zone);
        var slots = Parse(expression).Between(Utc(from), Utc(to), tz).ToList();
        var walls = slots.Select(s => TimeZoneInfo.ConvertTime(s, tz).DateTime).ToList();
        Assert.Equal(walls.Count, walls.Distinct().Count());
        Assert.Equal(count, slots.Count);
    }

    [Theory]
    [InlineData("cron(0 10 * * *)", "6 fields")]
    [InlineData("cron(0 10 * * MON *)", "exactly one of day-of-month and day-of-week must be ?")]
    [InlineData("cron(0 10 ? * ? *)", "exactly one of day-of-month and day-of-week must be ?")]
    [InlineData("cron(60 10 * * ? *)", "")]
    [InlineData("cron(0 10 ? * 8 *)", "day-of-week")]
    [InlineData("cron(0 10 * * ? 1969)", "year")]
    [InlineData("rate(0 minutes)", "positive")]
    [InlineData("every day", "expected cron(")]
    // AWS allows ? only in the two day fields, and reads rate( … ) exactly: these it refuses (issue 18's cases).
    [InlineData("cron(? 10 * * ? *)", "not in minutes")]
    [InlineData("cron(0 ? ? * MON *)", "not in hours")]
    [InlineData("cron(0 10 ? ? MON *)", "not in month")]
    [InlineData("rate( 10 minutes )", "expected cron(")]
    [InlineData("rate(10  minutes)", "expected cron(")]
    [InlineData(" rate(10 minutes)", "expected cron(")]
    public void Invalid_expressions_are_rejected_with_the_reason(string expression, string reason)
    {
        Assert.False(ScheduleExpression.TryParse(expression, out _, out var error));
        Assert.NotEmpty(error);
        Assert.Contains(reason, error);
    }

    // The two APIs differ (EventBridge's "Rate expressions reference" for rules: "If the value is equal to 1, then the
    // unit must be singular. If the value is greater than 1, the unit must be plural"; EventBridge Scheduler's
    // ScheduleExpression: a positive integer and "minute | minutes | hour | hours | day | days", and at( … ) for one-time
    // schedules, "Schedule types on EventBridge Scheduler").
    [Theory]
    [InlineData("rate(2 minute)", 2)]
    [InlineData("rate(1 minutes)", 1)]
    [InlineData("rate(1 hours)", 60)]
    [InlineData("rate(3 hour)", 180)]
    public void EventBridge_Scheduler_takes_a_rate_whose_unit_disagrees_with_its_value_and_a_rule_refuses_it(string expression, int minutes)
    {
        Assert.True(ScheduleExpression.TryParse(expression, ScheduleSource.Scheduler, out var schedule, out _));
        Assert.Equal(TimeSpan.FromMinutes(minutes), schedule!.Rate);

        Assert.False(ScheduleExpression.TryParse(expression, ScheduleSource.Rule, out _, out var error));
        Assert.Contains("an EventBridge rule refuses it", error);
        Assert.True(ScheduleExpression.TryParse(minutes == 1 ? "rate(1 minute)" : $"rate({minutes} minutes)", ScheduleSource.Rule, out var agreeing, out _));
        Assert.Equal(schedule.Rate, agreeing!.Rate);
    }

    [Fact]
    public void A_one_time_at_schedule_is_one_slot_in_its_time_zone_and_only_EventBridge_Scheduler_has_it()
    {
        var christmasEve = Parse("at(2026-12-24T18:00:00)");

        Assert.Null(christmasEve.Rate);
        Assert.Equal([Utc("2026-12-24T17:00:00")], christmasEve.Between(Utc("2026-12-01T00:00:00"), Utc("2027-12-31T00:00:00"), Berlin));
        Assert.Null(christmasEve.Next(Utc("2026-12-24T17:00:00"), Berlin));
        Assert.Equal(Utc("2026-12-24T18:00:00"), christmasEve.Next(Utc("2026-12-01T00:00:00"), TimeZoneInfo.Utc));

        Assert.False(ScheduleExpression.TryParse("at(2026-12-24T18:00:00)", ScheduleSource.Rule, out _, out var error));
        Assert.Contains("only in EventBridge Scheduler", error);
        Assert.False(ScheduleExpression.TryParse("at(2026-02-30T18:00:00)", out _, out error));
        Assert.Contains("is not a date and time", error);
        Assert.False(ScheduleExpression.TryParse("at(2026-12-24 18:00)", out _, out _));
    }
}
