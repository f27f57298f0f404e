using System.Security;
using System.Text;

namespace ClutterDR.Plan;

/// <summary>One scheduler entry written by Export-ClutterSchedule: a crontab line, a systemd unit or a registration script.</summary>
public sealed record ScheduleFile(string Job, string FileName, string Content);

/// <summary>
/// The scheduler entries of a plan's jobs, each starting
/// pwsh -NoProfile -NonInteractive -Command "Invoke-ClutterBackupPlan -Path '...' -Job '...' -LogPath '...'":
/// crontab lines (one file, clutterdr.cron), a .service + .timer pair per job, or one Register-ScheduledTask
/// script holding each job's task XML. Paths are quoted once, in single quotes; a path the quoting would change is refused.
/// </summary>
public static class ScheduleExport
{
    public static string CommandText(string planPath, string job, string logPath) =>
        $"Invoke-ClutterBackupPlan -Path '{Safe(planPath)}' -Job '{job}' -LogPath '{Safe(logPath)}'";

    public static string Safe(string path) =>
        path.IndexOfAny(['\'', '"', '$', '%', '`', '\n', '\r']) >= 0
            ? throw new ClutterException(Errors.ScheduleExportUnsafePath, $"The path '{path}' holds a quote, '$', '%', '`' or a line break, which a scheduler entry cannot carry safely. Use a plain path.", path)
            : path;

    public static IReadOnlyList<ScheduleFile> Cron(BackupPlan plan, string pwsh, Func<string, string> logOf)
    {
        var sb = new StringBuilder($"# ClutterDR plan {plan.Path}: one line per job (crontab -e, or /etc/cron.d/clutterdr with a user field added).\n");
        foreach (var job in plan.Jobs)
        {
            CronSchedule.Parse(job.Schedule, $"job '{job.Name}'");
            sb.Append($"{job.Schedule} {Safe(pwsh)} -NoProfile -NonInteractive -Command \"{CommandText(plan.Path, job.Name, logOf(job.Name))}\"\n");
        }
        return [new ScheduleFile("*", "clutterdr.cron", sb.ToString())];
    }

    public static IReadOnlyList<ScheduleFile> Systemd(BackupPlan plan, string pwsh, Func<string, string> logOf)
    {
        var files = new List<ScheduleFile>();
        foreach (var job in plan.Jobs)
        {
            var where = $"job '{job.Name}'";
            var calendar = ScheduleConverter.ToOnCalendar(CronSchedule.Parse(job.Schedule, where), where);
            var unit = $"clutterdr-{job.Name}";
            files.Add(new(job.Name, unit + ".service",
                $"[Unit]\nDescription=ClutterDR plan job {job.Name} ({plan.Path})\nWants=network-online.target\nAfter=network-online.target\n\n" +
                $"[Service]\nType=oneshot\nExecStart={Safe(pwsh)} -NoProfile -NonInteractive -Command \"{CommandText(plan.Path, job.Name, logOf(job.Name))}\"\n"));
            files.Add(new(job.Name, unit + ".timer",
                $"[Unit]\nDescription=Schedule of ClutterDR plan job {job.Name} (cron '{job.Schedule}')\n\n" +
                $"[Timer]\nOnCalendar={calendar}\nPersistent=true\nUnit={unit}.service\n\n[Install]\nWantedBy=timers.target\n"));
        }
        return files;
    }

    public static IReadOnlyList<ScheduleFile> ScheduledTask(BackupPlan plan, string pwsh, Func<string, string> logOf)
    {
        var sb = new StringBuilder("# Registers the jobs of a ClutterDR plan with Windows Task Scheduler. Run it elevated; -User defaults to SYSTEM.\n");
        sb.Append($"# Plan: {plan.Path}\nparam([string]$User = 'SYSTEM', [string]$TaskPath = '\\ClutterDR\\')\n$ErrorActionPreference = 'Stop'\n");
        foreach (var job in plan.Jobs)
        {
            var where = $"job '{job.Name}'";
            var s = CronSchedule.Parse(job.Schedule, where);
            var xml = TaskXml(s, where, pwsh, CommandText(plan.Path, job.Name, logOf(job.Name)), job.Name);
            sb.Append($"\n# {job.Name}: cron '{job.Schedule}'\nRegister-ScheduledTask -TaskName '{job.Name}' -TaskPath $TaskPath -User $User -Force -Xml @'\n{xml}'@\n");
        }
        return [new ScheduleFile("*", "Register-ClutterDRTasks.ps1", sb.ToString())];
    }

    private static string TaskXml(CronSchedule s, string where, string pwsh, string command, string job)
    {
        var times = ScheduleConverter.TimesOfDay(s, where);
        string By()
        {
            if (s.DayOfWeekRestricted)
                return "<ScheduleByWeek><WeeksInterval>1</WeeksInterval><DaysOfWeek>" +
                    string.Concat(s.DaysOfWeek.Select(d => $"<{Enum.GetName((DayOfWeek)d)} />")) + "</DaysOfWeek></ScheduleByWeek>";
            if (s.DayOfMonthRestricted || s.Months.Count < 12)
                return "<ScheduleByMonth><DaysOfMonth>" + string.Concat(s.DaysOfMonth.Select(d => $"<Day>{d}</Day>")) + "</DaysOfMonth><Months>" +
                    string.Concat(s.Months.Select(m => $"<{System.Globalization.CultureInfo.InvariantCulture.DateTimeFormat.GetMonthName(m)} />")) + "</Months></ScheduleByMonth>";
            return "<ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay>";
        }
        var triggers = string.Concat(times.Select(t => $"    <CalendarTrigger><StartBoundary>2000-01-01T{t}:00</StartBoundary>{By()}</CalendarTrigger>\n"));
        var args = SecurityElement.Escape($"-NoProfile -NonInteractive -Command \"{command}\"");
        return "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\n" +
            $"  <RegistrationInfo><Description>ClutterDR plan job {SecurityElement.Escape(job)}</Description></RegistrationInfo>\n  <Triggers>\n{triggers}  </Triggers>\n" +
            "  <Settings><MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy><StartWhenAvailable>true</StartWhenAvailable><ExecutionTimeLimit>PT0S</ExecutionTimeLimit></Settings>\n" +
            $"  <Actions Context=\"Author\"><Exec><Command>{SecurityElement.Escape(pwsh)}</Command><Arguments>{args}</Arguments></Exec></Actions>\n</Task>\n";
    }
}
