namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs): retention of storage snapshots and -Prune (Remove-ClutterBackup -Kind StorageSnapshot).</summary>
public static partial class Errors
{
    public static readonly ErrorDef SnapshotPruneStopped = new("SnapshotPruneStopped", FailureKind.InvalidData, Terminating: false,
        "`-Prune` stopped before it deleted any blob: a remaining snapshot index could not be read, so the blobs it references are not known (a sweep on a partial mark would delete them). Repair or remove that snapshot (`Remove-ClutterBackup` it, or delete the index by hand once it is known to be lost) and run `-Prune` again.");

    public static readonly ErrorDef RetentionParameterConflict = new("RetentionParameterConflict", FailureKind.InvalidArgument, Terminating: true,
        "`Remove-ClutterBackup` was given parameters of the other kind: `-Prune` goes with `-Kind StorageSnapshot` (or piped snapshots); `-Database` and `-IncludeOrphans` with database backups. Nothing was removed.");
}
