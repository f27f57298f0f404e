using System.Globalization;

namespace ClutterDR.Plan;

/// <summary>
/// Cron schedules in the other schedulers' terms: a systemd OnCalendar expression and Task Scheduler calendar
/// triggers. Both AND their date fields, where cron ORs day-of-month and day-of-week when both are restricted:
/// that combination is refused (PlanInvalidSchedule), as are Task Scheduler schedules of more than 48 times a day.
/// </summary>
public static class ScheduleConverter
{
    private static readonly string[] SystemdDays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    /// <summary>E.g. '0 2 * * *' -> '*-*-* 02:00:00'; '0 1 * * 0' -> 'Sun *-*-* 01:00:00'; '*/15 9-17 * * 1-5' -> 'Mon..Fri *-*-* 09..17:00,15,30,45:00'.</summary>
    public static string ToOnCalendar(CronSchedule s, string where)
    {
        RefuseBothDays(s, where);
        var dow = s.DayOfWeekRestricted ? Join(s.DaysOfWeek, 0, 6, d => SystemdDays[d], "..") + " " : "";
        return $"{dow}*-{Join(s.Months, 1, 12, Two, "..")}-{Join(s.DaysOfMonth, 1, 31, Two, "..")} {Join(s.Hours, 0, 23, Two, "..")}:{Join(s.Minutes, 0, 59, Two, "..")}:00";
    }

    /// <summary>The times of day (hh:mm) a job starts, for one calendar trigger each.</summary>
    public static IReadOnlyList<string> TimesOfDay(CronSchedule s, string where)
    {
        RefuseBothDays(s, where);
        var times = s.Hours.SelectMany(h => s.Minutes.Select(m => $"{Two(h)}:{Two(m)}")).ToList();
        if (times.Count > 48)
            throw new ClutterException(Errors.PlanInvalidSchedule,
                $"{where}: Schedule '{s.Expression}' starts {times.Count} times a day; the Task Scheduler export writes one trigger per time and stops at 48. Use a coarser schedule for Windows.", where);
        return times;
    }

    private static void RefuseBothDays(CronSchedule s, string where)
    {
        if (s.DayOfMonthRestricted && s.DayOfWeekRestricted)
            throw new ClutterException(Errors.PlanInvalidSchedule,
                $"{where}: Schedule '{s.Expression}' restricts both day-of-month and day-of-week, which cron reads as either one and systemd and Task Scheduler as both. Split it into two jobs, or leave one of the two fields '*'.", where);
    }

    private static string Two(int v) => v.ToString("00", CultureInfo.InvariantCulture);

    /// <summary>'*' for the whole range, else a list with runs of 3 or more as 'a..b'.</summary>
    private static string Join(IReadOnlyList<int> values, int min, int max, Func<int, string> show, string range)
    {
        if (values.Count == max - min + 1) return "*";
        var parts = new List<string>();
        for (var i = 0; i < values.Count;)
        {
            var j = i;
            while (j + 1 < values.Count && values[j + 1] == values[j] + 1) j++;
            if (j - i >= 2) parts.Add(show(values[i]) + range + show(values[j]));
            else for (var k = i; k <= j; k++) parts.Add(show(values[k]));
            i = j + 1;
        }
        return string.Join(',', parts);
    }
}
