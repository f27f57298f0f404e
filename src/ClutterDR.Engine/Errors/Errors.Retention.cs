namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs): Remove-ClutterBackup (retention) and Set-ClutterBackup (pinning).</summary>
public static partial class Errors
{
    public static readonly ErrorDef RetentionKeepsNothing = new("RetentionKeepsNothing", FailureKind.InvalidArgument, Terminating: true,
        "`Remove-ClutterBackup -Location` was given no rule that keeps a backup (no `-Keep*` parameter, or all zero); nothing was removed. Give at least one of `-KeepLast`, `-KeepDaily`, `-KeepWeekly`, `-KeepMonthly`, `-KeepYearly`, `-KeepWithin`, or pipe the backups to remove.");

    public static readonly ErrorDef BackupProtected = new("BackupProtected", FailureKind.PermissionDenied, Terminating: false,
        "A backup piped to `Remove-ClutterBackup` is kept by the safety floor: it is its database's newest complete backup, pinned, restored by a running drill, or under S3 Object Lock; it was not removed. Unpin it (`Set-ClutterBackup -Pinned $false`), wait for the drill or the lock, or make a newer backup first.");

    public static readonly ErrorDef BackupNotRemoved = new("BackupNotRemoved", FailureKind.PermissionDenied, Terminating: false,
        "An object of a backup (its manifest, data object or sidecar) or an orphaned data object could not be deleted; once the manifest is gone the backup no longer lists as complete. Fix the folder's permissions or the S3 policy (`s3:DeleteObject`) and run `Remove-ClutterBackup -IncludeOrphans` again.");
}
