namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). Test-ClutterRecovery (the checklist after a recovery) and New-ClutterIncidentReport.</summary>
public static partial class Errors
{
    public static readonly ErrorDef RecoveryCheckFailed = new("RecoveryCheckFailed", FailureKind.OperationFailed, Terminating: false,
        "An item of the recovery checklist failed (`Test-ClutterRecovery`): the database cannot be reached, a table is missing or has fewer rows than the backup, an extension is not installed, the storage location or a media object cannot be read, or a health endpoint did not answer 2xx in time. The message names the item and the target; its check object says more (`Detail`, `ErrorId`). Fix the service and run the checklist again.");

    public static readonly ErrorDef IncidentReportExists = new("IncidentReportExists", FailureKind.ResourceExists, Terminating: false,
        "`New-ClutterIncidentReport -Path` names a file that exists (or a folder); nothing was written. Add `-Force` to replace the file, or give another `-Path`.");

    public static readonly ErrorDef IncidentInputNotSupported = new("IncidentInputNotSupported", FailureKind.InvalidArgument, Terminating: false,
        "An object piped to `New-ClutterIncidentReport` is not a DrillResult, RecoveryCheck, RestoreResult or BackupInfo; it was left out of the report. Pipe the output of Test-ClutterRestore, Test-ClutterRecovery, Restore-ClutterDatabase or Get-ClutterBackup.");

    public static readonly ErrorDef InvalidHealthUri = new("InvalidHealthUri", FailureKind.InvalidArgument, Terminating: false,
        "A `-HealthUri` of `Test-ClutterRecovery` is not an absolute `http://` or `https://` address; nothing was checked. Give the full address, such as `https://app.example.com/health`.");
}
