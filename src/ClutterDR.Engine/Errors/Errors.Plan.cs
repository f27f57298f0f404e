namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). Backup plans: Invoke-/Test-ClutterBackupPlan and Export-ClutterSchedule.</summary>
public static partial class Errors
{
    public static readonly ErrorDef PlanNotFound = new("PlanNotFound", FailureKind.ObjectNotFound, Terminating: true,
        "The plan file does not exist or is not a PowerShell data file (.psd1) that Import-PowerShellDataFile can read. Check -Path and the file's syntax.") { OtherKinds = [FailureKind.InvalidData] };

    public static readonly ErrorDef PlanInvalid = new("PlanInvalid", FailureKind.InvalidData, Terminating: false,
        "The plan's shape is wrong: no Jobs, a job without Schedule or Steps, a step without Name or Command, a duplicate or badly formed name, an unknown key. The message names the job and step; fix the plan file.");

    public static readonly ErrorDef PlanInvalidSchedule = new("PlanInvalidSchedule", FailureKind.InvalidData, Terminating: false,
        "A job's Schedule is not a 5-field cron expression (minute hour day-of-month month day-of-week, e.g. '0 2 * * *'), or uses a cron feature the chosen scheduler cannot express. The message says which.");

    public static readonly ErrorDef PlanUnknownCommand = new("PlanUnknownCommand", FailureKind.ObjectNotFound, Terminating: false,
        "A step's Command is not a cmdlet of the loaded ClutterDR module. Check the name (Get-Command -Module ClutterDR) or update the module.");

    public static readonly ErrorDef PlanUnknownParameter = new("PlanUnknownParameter", FailureKind.InvalidArgument, Terminating: false,
        "A step's Parameters name a parameter its cmdlet does not have. Check the name with Get-Help <cmdlet> -Parameter *.");

    public static readonly ErrorDef PlanSecretMissing = new("PlanSecretMissing", FailureKind.ObjectNotFound, Terminating: false,
        "A secret reference cannot be resolved: the environment variable is not set, -Secret has no entry of that name, or the vault has no such secret (or Microsoft.PowerShell.SecretManagement is not installed). Set it, or pass it with -Secret @{ name = value }.") { OtherKinds = [FailureKind.NotInstalled] };

    public static readonly ErrorDef PlanUnknownDependency = new("PlanUnknownDependency", FailureKind.InvalidData, Terminating: false,
        "A step's DependsOn names no step of its job. DependsOn takes step names of the same job.");

    public static readonly ErrorDef PlanDependencyCycle = new("PlanDependencyCycle", FailureKind.InvalidData, Terminating: false,
        "Steps of a job depend on each other in a cycle, so none of them could start. Remove one DependsOn of the cycle the message names.");

    public static readonly ErrorDef PlanUnknownJob = new("PlanUnknownJob", FailureKind.ObjectNotFound, Terminating: true,
        "-Job names a job the plan does not have. The message lists the plan's jobs.");

    public static readonly ErrorDef PlanFailed = new("PlanFailed", FailureKind.OperationFailed, Terminating: true,
        "At least one step of the plan failed (the others ran; dependants were skipped). The PlanResult and the log say which step and why; it ends the script like `throw`, so `pwsh -File` exits 1.");

    public static readonly ErrorDef PlanStopped = new("PlanStopped", FailureKind.OperationStopped, Terminating: true,
        "The plan was stopped from outside (SIGINT, SIGTERM from systemctl stop, Ctrl+C) while a step ran; the rest did not run. pwsh exits 130 (SIGINT) or 143 (SIGTERM) when it runs a script or command.");

    public static readonly ErrorDef ScheduleExportUnsafePath = new("ScheduleExportUnsafePath", FailureKind.InvalidArgument, Terminating: true,
        "A path written into a scheduler entry holds a quote, '$', '%', '`' or a line break, which the crontab, systemd or Task Scheduler quoting would change. Move the plan or log folder to a plain path.");
}
