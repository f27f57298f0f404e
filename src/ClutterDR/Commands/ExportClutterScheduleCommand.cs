using System.Management.Automation;
using ClutterDR.Plan;

namespace ClutterDR.Commands;

/// <summary>
/// Export-ClutterSchedule: the scheduler entries of a plan's jobs (crontab lines, systemd .service + .timer pairs,
/// a Register-ScheduledTask script), each running the job through pwsh -NonInteractive with its log file. Written
/// under -Destination, else output as text. The conversions are the engine's (ClutterDR.Plan.ScheduleExport).
/// </summary>
[Cmdlet(VerbsData.Export, "ClutterSchedule", SupportsShouldProcess = true)]
[OutputType(typeof(ScheduleEntry))]
public sealed class ExportClutterScheduleCommand : PSCmdlet
{
    /// <summary>The plan: a PowerShell data file (.psd1).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Cron (crontab lines), SystemdTimer (.service and .timer per job) or ScheduledTask (a registration script).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateSet("Cron", "SystemdTimer", "ScheduledTask")]
    public string Format { get; set; } = "";

    /// <summary>A folder to write the files to (created if missing). Without it the entries are output only.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Destination { get; set; }

    /// <summary>The folder of the jobs' log files, <job>.log (default: logs beside the plan).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogFolder { get; set; }

    /// <summary>The pwsh the scheduler starts (default: the pwsh running this command).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PwshPath { get; set; }

    protected override void ProcessRecord()
    {
        var session = new PlanSession(this);
        var problems = new List<ClutterException>();
        var plan = session.Load(Path, problems);
        if (problems.Count > 0)
        {
            PlanSession.WriteProblems(this, problems);
            ThrowTerminatingError(ErrorRecords.From(new ClutterException(Errors.PlanInvalid, $"The plan '{plan.Path}' has {problems.Count} problem(s) (the errors above): fix them first (Test-ClutterBackupPlan).", plan.Path)));
        }
        var logs = LogFolder is null ? System.IO.Path.Combine(System.IO.Path.GetDirectoryName(plan.Path)!, "logs") : session.ResolvePath(LogFolder);
        var pwsh = PwshPath ?? DefaultPwsh();
        string LogOf(string job) => System.IO.Path.Combine(logs, job + ".log");
        IReadOnlyList<ScheduleFile> files;
        try
        {
            files = Format switch
            {
                "Cron" => ScheduleExport.Cron(plan, pwsh, LogOf),
                "SystemdTimer" => ScheduleExport.Systemd(plan, pwsh, LogOf),
                _ => ScheduleExport.ScheduledTask(plan, pwsh, LogOf),
            };
        }
        catch (ClutterException e) { ThrowTerminatingError(ErrorRecords.From(e)); return; }
        var folder = Destination is null ? null : session.ResolvePath(Destination);
        foreach (var f in files)
        {
            string? written = null;
            if (folder is not null)
            {
                var target = System.IO.Path.Combine(folder, f.FileName);
                if (!ShouldProcess(target, "Write scheduler entry")) continue;
                Directory.CreateDirectory(folder);
                File.WriteAllText(target, f.Content);
                written = target;
            }
            WriteObject(new ScheduleEntry { Job = f.Job, Format = Format, Name = f.FileName, Path = written, Content = f.Content });
        }
    }

    private string DefaultPwsh()
    {
        var home = SessionState.PSVariable.GetValue("PSHOME") as string ?? "";
        var exe = System.IO.Path.Combine(home, OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh");
        return File.Exists(exe) ? exe : OperatingSystem.IsWindows() ? "pwsh.exe" : "/usr/bin/pwsh";
    }
}
