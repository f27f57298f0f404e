namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). Listing backups, their age and their manifests (Get-ClutterBackup, Test-ClutterBackupAge).</summary>
public static partial class Errors
{
    public static readonly ErrorDef LocationNotFound = new("LocationNotFound", FailureKind.ObjectNotFound, Terminating: false,
        "The folder or bucket to read backups from does not exist. Check the path or bucket, `-EndpointUrl` and `-Region`, or back up there first.");

    public static readonly ErrorDef LocationNotFolder = new("LocationNotFolder", FailureKind.InvalidArgument, Terminating: false,
        "The location to list or check is a file. Give the folder that holds the backups; to check or restore one backup file use `Test-ClutterBackup -Location` or `Restore-ClutterDatabase -Location`.");

    public static readonly ErrorDef BackupNotFound = new("BackupNotFound", FailureKind.ObjectNotFound, Terminating: false,
        "There is no complete backup at the location (since `-Since`), or none of a database named by `-Database`; the message names the databases that are there. Check the location and the name; for `Test-ClutterBackupAge`, check that database's backup job.");

    public static readonly ErrorDef BackupTooOld = new("BackupTooOld", FailureKind.LimitsExceeded, Terminating: false,
        "The newest backup of a database is older than `-MaxAge`. Check that database's backup job.");

    public static readonly ErrorDef ManifestNotFound = new("ManifestNotFound", FailureKind.ObjectNotFound, Terminating: false,
        "The backup given by location has no manifest: it is incomplete (a failed or running backup) or not a ClutterDR backup. Pick a complete backup (`Get-ClutterBackup` lists them).");

    public static readonly ErrorDef ManifestInvalid = new("ManifestInvalid", FailureKind.InvalidData, Terminating: false,
        "A manifest is damaged, cannot be read, or was written by a newer ClutterDR. Listings go on without that backup. Restore or test another backup, or put back an intact copy of the manifest from another copy of the repository; update ClutterDR for a newer manifest.");

    public static readonly ErrorDef BackupObjectNotFound = new("BackupObjectNotFound", FailureKind.ObjectNotFound, Terminating: false,
        "The manifest is there but its data object is missing. Use another backup (`Get-ClutterBackup`).");
}
