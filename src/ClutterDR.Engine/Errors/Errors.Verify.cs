namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). The stored bytes of a backup, checked against its manifest (Test-ClutterBackup, restores).</summary>
public static partial class Errors
{
    public static readonly ErrorDef ChecksumMismatch = new("ChecksumMismatch", FailureKind.InvalidData, Terminating: false,
        "The stored object's SHA-256 differs from its manifest's; a restore stopped before it committed. Use an older backup; find out what changed the object.");

    public static readonly ErrorDef BackupTruncated = new("BackupTruncated", FailureKind.InvalidData, Terminating: false,
        "The stored object is shorter than its manifest records; a restore stopped before it committed. Use an older backup.");

    public static readonly ErrorDef BackupCorrupt = new("BackupCorrupt", FailureKind.InvalidData, Terminating: false,
        "The object cannot be decompressed, or decompresses to another size than its manifest records. Use an older backup.");

    public static readonly ErrorDef ArchiveUnreadable = new("ArchiveUnreadable", FailureKind.InvalidData, Terminating: false,
        "Pg_restore cannot read the archive's table of contents (`Test-ClutterBackup -Deep`, or a restore with `-Table`). Check it with `Test-ClutterBackup -Deep`, or use an older backup.");

    public static readonly ErrorDef ArchiveIncomplete = new("ArchiveIncomplete", FailureKind.InvalidData, Terminating: false,
        "Tables of the manifest are missing from the archive (`Test-ClutterBackup -Deep`). Use an older backup; back up again.");
}
