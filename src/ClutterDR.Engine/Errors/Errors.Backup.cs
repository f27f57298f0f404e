namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). Backup-ClutterDatabase: what is backed up, its destinations and copies, Object Lock and debris.</summary>
public static partial class Errors
{
    public static readonly ErrorDef TableNotFound = new("TableNotFound", FailureKind.ObjectNotFound, Terminating: false,
        "Backup: no table of the database matches a `-Table` pattern. Restore: a `-Table` name is not in the backup (checked before anything is created) or, with `-DataOnly`, not in the target. Check the names (case-sensitive inside double quotes; `\\dt` in psql lists them); for `-DataOnly` into a target without the table, leave out `-DataOnly`.");

    public static readonly ErrorDef NothingToBackUp = new("NothingToBackUp", FailureKind.InvalidArgument, Terminating: false,
        "`-Table` and `-ExcludeTable` leave no table to back up (such as `-ExcludeTable '*'`); nothing was written. Change the patterns.");

    public static readonly ErrorDef PgDumpFailed = new("PgDumpFailed", FailureKind.OperationFailed, Terminating: false,
        "Pg_dump failed; the message includes the end of its error output. No backup was kept. Act on pg_dump's message.");

    public static readonly ErrorDef DestinationNotFound = new("DestinationNotFound", FailureKind.ObjectNotFound, Terminating: false,
        "The bucket to back up or sync to does not exist, a `-Destination` with wildcards matches no folder, or the folder of a `Protect-`/`Unprotect-ClutterFile` output file does not exist. Create the bucket (`aws s3 mb`) or the folder, or check the name, `-EndpointUrl` and `-Region`; a literal folder path without wildcards is created when missing.");

    public static readonly ErrorDef DestinationNotFolder = new("DestinationNotFolder", FailureKind.InvalidArgument, Terminating: false,
        "The folder to back up or sync to is a file. Give a folder (or `s3://bucket/prefix`).");

    public static readonly ErrorDef DestinationNotWritable = new("DestinationNotWritable", FailureKind.PermissionDenied, Terminating: false,
        "The folder to back up to, or the output file of `Protect-`/`Unprotect-ClutterFile`, cannot be written. Choose a folder the current user can write to, or fix its permissions.");

    public static readonly ErrorDef BackupTooLarge = new("BackupTooLarge", FailureKind.LimitsExceeded, Terminating: false,
        "The upload would need more than S3's 10,000 parts. Pass `-ExpectedSize` (a generous estimate) so that parts start bigger.");

    public static readonly ErrorDef DuplicateDestination = new("DuplicateDestination", FailureKind.InvalidArgument, Terminating: false,
        "The same location is given twice to `-Destination`. Give each copy its own location.");

    public static readonly ErrorDef InvalidMinimumCopies = new("InvalidMinimumCopies", FailureKind.InvalidArgument, Terminating: false,
        "`-MinimumCopies` is larger than the number of `-Destination` values. Give 1 up to the number of destinations (the default is all).");

    public static readonly ErrorDef TooFewCopies = new("TooFewCopies", FailureKind.OperationFailed, Terminating: false,
        "Fewer copies than `-MinimumCopies` (default: all) could be written; none was kept, and the message lists each copy's failure (a copy whose manifest failed after others had committed leaves those others, listed in the message). Fix the failing destination, or lower `-MinimumCopies` so that the copies that can be written are kept.");

    public static readonly ErrorDef DestinationWriteFailed = new("DestinationWriteFailed", FailureKind.WriteError, Terminating: false,
        "A file could not be written at the destination: the disk (or the quota) is full, or another I/O error; the message names the file, the free space and about how much is needed. The partial file was removed. Free space (or give another destination) and run again; Sync and Protect/Unprotect stop at the first such failure.");

    public static readonly ErrorDef InvalidDebrisAge = new("InvalidDebrisAge", FailureKind.InvalidArgument, Terminating: false,
        "`CLUTTERDR_DEBRIS_MIN_AGE` is not a duration. Give a duration such as `24h` or `30m`, or unset it (24 hours).");

    public static readonly ErrorDef DebrisNotRemoved = new("DebrisNotRemoved", FailureKind.PermissionDenied, Terminating: false,
        "A partial file of an interrupted backup could not be removed (by a backup or `Clear-ClutterBackupDebris`). Remove it by hand, or fix the folder's permissions.");

    public static readonly ErrorDef ObjectLockNotEnabled = new("ObjectLockNotEnabled", FailureKind.InvalidArgument, Terminating: false,
        "`-RetainUntil` to a bucket that does not have S3 Object Lock enabled; checked before anything is written. Back up to a bucket created with Object Lock (`aws s3api create-bucket --object-lock-enabled-for-bucket`), enable it on the versioned bucket (`aws s3api put-object-lock-configuration`), or leave out `-RetainUntil`.");

    public static readonly ErrorDef ObjectLockNeedsS3 = new("ObjectLockNeedsS3", FailureKind.InvalidArgument, Terminating: false,
        "`-RetainUntil` with a folder destination: a folder has no Object Lock. Back up to an `s3://` bucket with Object Lock, or leave out `-RetainUntil` and protect the folder another way (a read-only snapshot).");

    public static readonly ErrorDef RetainUntilInPast = new("RetainUntilInPast", FailureKind.InvalidArgument, Terminating: false,
        "`-RetainUntil` is not in the future. Give the date until which the backup must not be deleted, e.g. `(Get-Date).AddDays(30)`.");

    public static readonly ErrorDef RetainUntilMissing = new("RetainUntilMissing", FailureKind.InvalidArgument, Terminating: false,
        "`-RetentionMode` without `-RetainUntil`. Add `-RetainUntil <date>`, or leave out `-RetentionMode`.");

    public static readonly ErrorDef ObjectLockNotApplied = new("ObjectLockNotApplied", FailureKind.OperationFailed, Terminating: false,
        "The server stored the data object without the Object Lock retention asked for, even after ClutterDR set it again; the backup is not kept as a locked one. Check that the endpoint implements Object Lock and that the credentials may put object retention (`s3:PutObjectRetention`).");

    public static readonly ErrorDef BackupNameTaken = new("BackupNameTaken", FailureKind.ResourceExists, Terminating: false,
        "Too many backups of one database were started in the same second at one location. Start the backup again.");

    public static readonly ErrorDef BackupObjectExists = new("BackupObjectExists", FailureKind.ResourceExists, Terminating: false,
        "A file with the new backup's name already exists in the folder. Start the backup again.");
}
