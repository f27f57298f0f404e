namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). Storage snapshots: Backup-, Get-, Restore- and Test-ClutterStorage(Snapshot).</summary>
public static partial class Errors
{
    public static readonly ErrorDef InvalidSnapshotName = new("InvalidSnapshotName", FailureKind.InvalidArgument, Terminating: false,
        "A snapshot name is 1 to 100 letters, digits, `.`, `-` or `_`. Give another `-Name`.");

    public static readonly ErrorDef SnapshotNotFound = new("SnapshotNotFound", FailureKind.ObjectNotFound, Terminating: false,
        "No snapshot index is at the location (or of that name). List them with `Get-ClutterStorageSnapshot -Location <destination>` and pass one on.");

    public static readonly ErrorDef SnapshotIndexInvalid = new("SnapshotIndexInvalid", FailureKind.InvalidData, Terminating: false,
        "A snapshot index cannot be read (damaged, or of another version). Use another snapshot.");

    public static readonly ErrorDef SnapshotBlobMissing = new("SnapshotBlobMissing", FailureKind.ObjectNotFound, Terminating: false,
        "A file of the snapshot has no blob (or one of the wrong size) under `blobs/`: the file cannot be restored from this snapshot. Take a new snapshot; restore the file from an older one.");

    public static readonly ErrorDef SnapshotBlobDamaged = new("SnapshotBlobDamaged", FailureKind.InvalidData, Terminating: false,
        "A blob's content does not hash to its name (or cannot be decrypted): the file cannot be restored from this snapshot. Take a new snapshot; restore the file from an older one.");

    public static readonly ErrorDef SnapshotFileFailed = new("SnapshotFileFailed", FailureKind.OperationFailed, Terminating: false,
        "One file could not be read, stored or restored (after retries); the rest goes on. A snapshot with a failed file is not written: act on the message and run again (what is stored already is not sent again).");

    public static readonly ErrorDef SnapshotFileMissing = new("SnapshotFileMissing", FailureKind.ObjectNotFound, Terminating: false,
        "A row of the database's object table (`storage.objects`: bucket_id + name) names a file the snapshot does not hold. Restore the file from elsewhere, or take a snapshot that has it.");

    public static readonly ErrorDef ObjectTableNotFound = new("ObjectTableNotFound", FailureKind.ObjectNotFound, Terminating: false,
        "The database has no table of that name with the columns `bucket_id` and `name`. Give `-ObjectTable schema.table` (Supabase: `storage.objects`).");

    public static readonly ErrorDef SnapshotBucketRequired = new("SnapshotBucketRequired", FailureKind.InvalidArgument, Terminating: false,
        "The snapshot's source is a folder, so the database's bucket is not known. Give `-Bucket`, the `bucket_id` its files have in the object table.");
}
