using Cronos;

namespace ClutterDR.Plan;

/// <summary>
/// A job's cron expression: checked by Cronos (the standard 5 fields, as crontab reads them) and expanded into
/// the set of values of each field, which the systemd and Task Scheduler converters need. Supported: '*', numbers,
/// ranges 'a-b', steps '*/n', 'a-b/n', 'a/n', lists, month names JAN-DEC, day names SUN-SAT (0 and 7 are Sunday)
/// and the macros @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually. Refused with a
/// PlanInvalidSchedule: seconds (6 fields), 'L', 'W', '#', '?', @reboot.
/// </summary>
public sealed class CronSchedule
{
    public string Expression { get; }
    public IReadOnlyList<int> Minutes { get; private init; } = [];
    public IReadOnlyList<int> Hours { get; private init; } = [];
    public IReadOnlyList<int> DaysOfMonth { get; private init; } = [];
    public IReadOnlyList<int> Months { get; private init; } = [];
    /// <summary>0 = Sunday ... 6 = Saturday.</summary>
    public IReadOnlyList<int> DaysOfWeek { get; private init; } = [];
    public bool DayOfMonthRestricted { get; private init; }
    public bool DayOfWeekRestricted { get; private init; }
    private readonly CronExpression _cron;

    private CronSchedule(string expression, CronExpression cron) { Expression = expression; _cron = cron; }

    private static readonly Dictionary<string, string> Macros = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@hourly"] = "0 * * * *", ["@daily"] = "0 0 * * *", ["@midnight"] = "0 0 * * *", ["@weekly"] = "0 0 * * 0",
        ["@monthly"] = "0 0 1 * *", ["@yearly"] = "0 0 1 1 *", ["@annually"] = "0 0 1 1 *",
    };
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    /// <summary>The next time it fires after fromUtc, as cron would on a machine whose clock is UTC.</summary>
    public DateTime? NextUtc(DateTime fromUtc) => _cron.GetNextOccurrence(DateTime.SpecifyKind(fromUtc, DateTimeKind.Utc));

    public static CronSchedule Parse(string expression, string where)
    {
        var text = (expression ?? "").Trim();
        ClutterException Bad(string why) => new(Errors.PlanInvalidSchedule, $"{where}: Schedule '{expression}' {why}", where);
        var fields = (Macros.TryGetValue(text, out var m) ? m : text).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
            throw Bad("is not a cron expression of 5 fields (minute hour day-of-month month day-of-week), e.g. '0 2 * * *' for 02:00 daily; seconds and @reboot are not supported.");
        if (fields.Any(f => f.IndexOfAny(['L', 'W', '#', '?', 'l', 'w']) >= 0 && !IsNamed(f)))
            throw Bad("uses L, W, # or ?, which crontab does not have; use plain values, ranges, lists and steps.");
        CronExpression cron;
        try { cron = CronExpression.Parse(string.Join(' ', fields)); }
        catch (CronFormatException e) { throw Bad($"is not valid cron: {e.Message}"); }
        return new CronSchedule(text, cron)
        {
            Minutes = Expand(fields[0], 0, 59, null, Bad),
            Hours = Expand(fields[1], 0, 23, null, Bad),
            DaysOfMonth = Expand(fields[2], 1, 31, null, Bad),
            Months = Expand(fields[3], 1, 12, MonthNames, Bad),
            DaysOfWeek = Expand(fields[4], 0, 7, DayNames, Bad).Select(d => d % 7).Distinct().Order().ToList(),
            DayOfMonthRestricted = fields[2] != "*",
            DayOfWeekRestricted = fields[4] != "*",
        };
    }

    private static bool IsNamed(string field) => field.Split(',', '-', '/').All(p => p.Length == 0 || int.TryParse(p, out _) || p == "*" ||
        MonthNames.Contains(p, StringComparer.OrdinalIgnoreCase) || DayNames.Contains(p, StringComparer.OrdinalIgnoreCase));

    private static List<int> Expand(string field, int min, int max, string[]? names, Func<string, ClutterException> bad)
    {
        int Value(string s)
        {
            if (int.TryParse(s, out var n) && n >= min && n <= max) return n;
            var i = names is null ? -1 : Array.FindIndex(names, x => x.Equals(s, StringComparison.OrdinalIgnoreCase));
            if (i >= 0) return i + (names!.Length == 12 ? 1 : 0);
            throw bad($"has '{s}' where a value from {min} to {max} belongs.");
        }
        var set = new SortedSet<int>();
        foreach (var part in field.Split(','))
        {
            var slash = part.Split('/');
            var step = slash.Length == 2 ? (int.TryParse(slash[1], out var st) && st > 0 ? st : throw bad($"has a bad step '{part}'.")) : 1;
            int from, to;
            if (slash[0] == "*") { from = min; to = max; }
            else if (slash[0].Contains('-')) { var r = slash[0].Split('-'); from = Value(r[0]); to = Value(r[1]); }
            else { from = Value(slash[0]); to = slash.Length == 2 ? max : from; }
            if (from > to) throw bad($"has a range '{part}' that runs backwards.");
            for (var v = from; v <= to; v += step) set.Add(v);
        }
        return set.ToList();
    }
}
