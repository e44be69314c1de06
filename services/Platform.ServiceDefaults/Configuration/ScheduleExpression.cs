using System.Globalization;
using System.Text.RegularExpressions;
using Cronos;

namespace Platform.ServiceDefaults.Configuration;

/// <summary>Which EventBridge API runs a schedule: they read some expressions differently.</summary>
public enum ScheduleSource
{
    /// <summary>
    /// EventBridge Scheduler (the default): cron, rate and one-time <c>at(…)</c> expressions, in a time zone; a rate's
    /// unit may be singular or plural whatever its value.
    /// </summary>
    Scheduler,

    /// <summary>
    /// An EventBridge scheduled rule: cron and rate only, always in UTC, and a rate's unit must agree with its value
    /// (<c>rate(1 hour)</c>, <c>rate(5 hours)</c>; the rules API refuses <c>rate(5 hour)</c>).
    /// </summary>
    Rule,
}

/// <summary>
/// An EventBridge schedule expression, as users already write them: <c>cron(minutes hours day-of-month month
/// day-of-week year)</c> with <c>?</c>, <c>L</c>, <c>W</c>, <c>#</c>, ranges, lists and steps (day-of-week 1–7 is
/// SUN–SAT), <c>rate(n minute|minutes|hour|hours|day|days)</c>, or (EventBridge Scheduler only) the one-time
/// <c>at(yyyy-mm-ddThh:mm:ss)</c>. Occurrences are evaluated in a time zone the way EventBridge Scheduler does: a time
/// skipped when the clocks go forward does not occur, and a time repeated when they go back occurs once.
/// </summary>
public sealed partial class ScheduleExpression
{
    private readonly CronExpression? cron;
    private readonly YearSet? years;
    private readonly TimeSpan rate;
    private readonly DateTime? once;

    private ScheduleExpression(string text, CronExpression? cron, YearSet? years, TimeSpan rate, DateTime? once = null)
    {
        Text = text;
        this.cron = cron;
        this.years = years;
        this.rate = rate;
        this.once = once;
    }

    public string Text { get; }

    /// <summary>For a rate: the interval; slots are aligned to the Unix epoch, so any run within an interval fills it.</summary>
    public TimeSpan? Rate => cron is null && once is null ? rate : null;

    public override string ToString() => Text;

    public static bool TryParse(string text, out ScheduleExpression? schedule, out string error) =>
        TryParse(text, ScheduleSource.Scheduler, out schedule, out error);

    public static bool TryParse(string text, ScheduleSource source, out ScheduleExpression? schedule, out string error)
    {
        schedule = null;
        error = "";
        // EventBridge takes the expression as written: no space around it, nor inside rate( … ).
        var trimmed = text;
        if (AtSyntax().Match(trimmed) is { Success: true } at)
        {
            if (source == ScheduleSource.Rule)
                return Fail("one-time at( … ) schedules exist only in EventBridge Scheduler (scheduleSource: scheduler)", out error);
            if (!DateTime.TryParseExact(at.Groups[1].Value, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var when))
                return Fail($"'{at.Groups[1].Value}' is not a date and time (yyyy-mm-ddThh:mm:ss)", out error);
            schedule = new ScheduleExpression(trimmed, null, null, default, DateTime.SpecifyKind(when, DateTimeKind.Unspecified));
            return true;
        }
        if (RateSyntax().Match(trimmed) is { Success: true } r)
        {
            var n = long.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture);
            var unit = r.Groups[2].Value;
            if (n < 1)
                return Fail("the value of a rate must be a positive whole number", out error);
            // The rules API refuses a unit that disagrees with its value; EventBridge Scheduler takes either.
            if (source == ScheduleSource.Rule && (n == 1) != !unit.EndsWith('s'))
                return Fail((n == 1 ? $"write rate(1 {unit.TrimEnd('s')})" : $"write rate({n} {unit.TrimEnd('s')}s)")
                    + " (an EventBridge rule refuses it; EventBridge Scheduler would take it)", out error);
            var interval = unit.TrimEnd('s') switch
            {
                "minute" => TimeSpan.FromMinutes(n),
                "hour" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
            schedule = new ScheduleExpression(trimmed, null, null, interval);
            return true;
        }
        if (CronSyntax().Match(trimmed) is not { Success: true } c)
            return Fail(source == ScheduleSource.Rule
                ? "expected cron(minutes hours day-of-month month day-of-week year) or rate(value unit)"
                : "expected cron(minutes hours day-of-month month day-of-week year), rate(value unit) or at(yyyy-mm-ddThh:mm:ss)", out error);

        var fields = c.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6)
            return Fail($"a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not {fields.Length}", out error);
        var (dayOfMonth, dayOfWeek) = (fields[2], fields[4]);
        // ? means "no specific value" and only stands in one of the two day fields; Cronos would read it as * anywhere.
        if (new[] { (fields[0], "minutes"), (fields[1], "hours"), (fields[3], "month") }.FirstOrDefault(f => f.Item1.Contains('?')) is ({ } bad, var field))
            return Fail($"'{bad}': ? is allowed only in day-of-month or day-of-week, not in {field}", out error);
        if ((dayOfMonth == "?") == (dayOfWeek == "?"))
            return Fail("exactly one of day-of-month and day-of-week must be ?", out error);
        if (!YearSet.TryParse(fields[5], out var yearSet))
            return Fail($"'{fields[5]}' is not a year field (*, 1970–2199, ranges, lists, steps)", out error);
        if (!TryTranslateDayOfWeek(dayOfWeek, out var cronosDayOfWeek))
            return Fail($"'{dayOfWeek}' is not a day-of-week field (1–7 or SUN–SAT, with -, /, L, #)", out error);
        try
        {
            var expression = CronExpression.Parse($"{fields[0]} {fields[1]} {dayOfMonth} {fields[3]} {cronosDayOfWeek}", CronFormat.Standard);
            schedule = new ScheduleExpression(trimmed, expression, yearSet, default);
            return true;
        }
        catch (CronFormatException e)
        {
            return Fail(e.Message.TrimEnd('.'), out error);
        }
    }

    /// <summary>The first slot strictly after <paramref name="after"/>, in <paramref name="zone"/>; null when there is none.</summary>
    public DateTimeOffset? Next(DateTimeOffset after, TimeZoneInfo zone)
    {
        if (once is { } wallTime)
        {
            // A wall time the clocks skip is read with the offset before the change, like TimeZoneInfo does.
            var instant = new DateTimeOffset(wallTime, zone.GetUtcOffset(wallTime)).ToUniversalTime();
            return instant > after ? instant : null;
        }
        if (cron is null)
        {
            var ticks = rate.Ticks;
            var next = (after.UtcTicks - DateTime.UnixEpoch.Ticks) / ticks * ticks + ticks + DateTime.UnixEpoch.Ticks;
            return new DateTimeOffset(next, TimeSpan.Zero);
        }
        var from = after;
        for (var guard = 0; guard < 10_000; guard++)
        {
            if (cron.GetNextOccurrence(from, zone) is not { } occurrence)
                return null;
            var local = TimeZoneInfo.ConvertTime(occurrence, zone);
            if (!years!.Contains(local.Year))
            {
                if (years.NextAfter(local.Year) is not { } year)
                    return null;
                // Jump to just before 1 January of the next allowed year, in the zone.
                var newYear = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
                from = new DateTimeOffset(newYear, zone.GetUtcOffset(newYear)).AddTicks(-1);
                continue;
            }
            // Cronos moves a time that the clocks skipped to the next valid instant; EventBridge Scheduler skips it.
            var wall = new DateTimeOffset(DateTime.SpecifyKind(local.DateTime, DateTimeKind.Utc));
            if (cron.GetNextOccurrence(wall.AddTicks(-1), TimeZoneInfo.Utc) != wall)
            {
                from = occurrence;
                continue;
            }
            // A time the clocks repeat (going back) runs once, at its first instant: Cronos repeats the times of
            // wildcard and step hours. The second instant is the one with the smaller offset, in either hemisphere.
            if (zone.IsAmbiguousTime(local) && local.Offset == zone.GetAmbiguousTimeOffsets(local).Min())
            {
                from = occurrence;
                continue;
            }
            return occurrence.ToUniversalTime();
        }
        return null;
    }

    /// <summary>The slots in (<paramref name="from"/>, <paramref name="to"/>], at most <paramref name="limit"/>.</summary>
    public IEnumerable<DateTimeOffset> Between(DateTimeOffset from, DateTimeOffset to, TimeZoneInfo zone, int limit = 10_000)
    {
        var at = from;
        for (var i = 0; i < limit && Next(at, zone) is { } next && next <= to; i++)
        {
            yield return next;
            at = next;
        }
    }

    private static bool TryTranslateDayOfWeek(string field, out string translated)
    {
        // A bare L is the week's last day, Saturday (Cronos has no such form).
        if (field == "L")
            field = "7";
        // A step counts within SUN–SAT only, so it is written out as the days it names: Cronos would count on to its 7,
        // a second Sunday ("2/3" would be MON, THU and SUN).
        if (!TryExpandDayOfWeekSteps(field, out field))
        {
            translated = "";
            return false;
        }
        // EventBridge numbers days 1 (SUN) to 7 (SAT); Cronos 0 (SUN) to 6 (SAT). Names and ? pass through.
        translated = DayNumber().Replace(field, m =>
        {
            var n = int.Parse(m.Value, CultureInfo.InvariantCulture);
            return (n - 1).ToString(CultureInfo.InvariantCulture);
        });
        return !DayNumberOutOfRange().IsMatch(field);
    }

    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    /// <summary>Each <c>start/step</c>, <c>a-b/step</c> or <c>*/step</c> of the field as the list of the days 1–7 it names.</summary>
    private static bool TryExpandDayOfWeekSteps(string field, out string expanded)
    {
        expanded = field;
        if (!field.Contains('/'))
            return true;
        var parts = new List<string>();
        foreach (var part in field.Split(','))
        {
            var m = Regex.Match(part, @"^(\*|[0-9A-Za-z]+)(?:-([0-9A-Za-z]+))?/(\d+)$");
            if (!part.Contains('/'))
            {
                parts.Add(part);
                continue;
            }
            if (!m.Success || Day(m.Groups[1].Value, 1) is not { } first || Day(m.Groups[2].Success ? m.Groups[2].Value : "", 7) is not { } last
                || int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) is var step && step < 1 || first > last)
                return false;
            for (var day = first; day <= last; day += step)
                parts.Add(day.ToString(CultureInfo.InvariantCulture));
        }
        expanded = string.Join(",", parts);
        return true;

        // A day 1–7 from its number or name; * (or nothing) is the given bound.
        static int? Day(string text, int bound) =>
            text is "" or "*" ? bound
            : int.TryParse(text, CultureInfo.InvariantCulture, out var n) ? n is >= 1 and <= 7 ? n : null
            : Array.IndexOf(DayNames, text.ToUpperInvariant()) is var i and >= 0 ? i + 1 : null;
    }

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }

    [GeneratedRegex(@"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")]
    private static partial Regex AtSyntax();

    [GeneratedRegex(@"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")]
    private static partial Regex RateSyntax();

    [GeneratedRegex(@"^cron\((.*)\)$")]
    private static partial Regex CronSyntax();

    // A day number: at the start, or after , or - (not a step after /, nor the nth after #).
    [GeneratedRegex(@"(?<=^|[,\-])\d+")]
    private static partial Regex DayNumber();

    [GeneratedRegex(@"(?<=^|[,\-])(\d{2,}|[089])")]
    private static partial Regex DayNumberOutOfRange();

    private sealed class YearSet
    {
        private readonly SortedSet<int>? years;

        private YearSet(SortedSet<int>? years) => this.years = years;

        public bool Contains(int year) => years is null || years.Contains(year);

        public int? NextAfter(int year) => years is null ? year + 1 : years.GetViewBetween(year + 1, int.MaxValue).Cast<int?>().FirstOrDefault();

        public static bool TryParse(string field, out YearSet? set)
        {
            set = null;
            if (field == "*")
            {
                set = new YearSet(null);
                return true;
            }
            var years = new SortedSet<int>();
            foreach (var part in field.Split(','))
            {
                var m = Regex.Match(part, @"^(\*|\d{4})(?:-(\d{4}))?(?:/(\d+))?$");
                if (!m.Success)
                    return false;
                var start = m.Groups[1].Value == "*" ? 1970 : int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                var end = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)
                    : m.Groups[1].Value == "*" || m.Groups[3].Success ? 2199 : start;
                var step = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 1;
                if (start < 1970 || end > 2199 || start > end || step < 1)
                    return false;
                for (var y = start; y <= end; y += step)
                    years.Add(y);
            }
            set = new YearSet(years);
            return true;
        }
    }
}
