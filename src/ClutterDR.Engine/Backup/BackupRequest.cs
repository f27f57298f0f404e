using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Database;
using ClutterDR.Storage;

namespace ClutterDR.Backup;

/// <summary>What Backup-ClutterDatabase asks for: the database, the destinations, the stored format and the rules for copies.</summary>
public sealed record BackupRequest
{
    public required PgConnectionSettings Connection { get; init; }
    public required BackupLocation Destination { get; init; }
    public S3Options S3 { get; init; } = new();
    public DumpFormat Format { get; init; } = DumpFormat.Custom;
    public CompressionKind Compression { get; init; } = CompressionKind.Zstd;
    public int? CompressionLevel { get; init; }
    public IReadOnlyList<string> Tables { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> ExcludeTables { get; init; } = Array.Empty<string>();
    public string? StorageClass { get; init; }
    public long? ExpectedSize { get; init; }
    /// <summary>Also store the project's own roles (pg_dumpall --roles-only --no-role-passwords, filtered) beside the dump.</summary>
    public bool IncludeRoles { get; init; }
    /// <summary>OpenPGP encryption after compression, before the upload; off by default.</summary>
    public EncryptionOptions Encryption { get; init; } = new();
    /// <summary>S3 Object Lock retention for the data object and the manifest (S3 destinations only); null: none.</summary>
    public ObjectLock? ObjectLock { get; init; }
    /// <summary>More destinations for the same stored bytes (one database read), each with its own manifest.</summary>
    public IReadOnlyList<BackupLocation> Copies { get; init; } = Array.Empty<BackupLocation>();
    /// <summary>How many of Destination + Copies must commit for the backup to succeed; null: all of them.</summary>
    public int? MinimumCopies { get; init; }
    /// <summary>Part size and parts in flight of an S3 upload (tests make parts small); ExpectedSize above still applies.</summary>
    internal S3UploadOptions? Upload { get; init; }
    /// <summary>
    /// Debris (unfinished uploads, partial files) of this database older than this is removed before the backup
    /// writes; null: <see cref="DebrisService.ConfiguredMinimumAge"/> (24 hours, or CLUTTERDR_DEBRIS_MIN_AGE).
    /// </summary>
    public TimeSpan? DebrisMinimumAge { get; init; }
}

/// <summary>
/// What a backup to several destinations kept: one BackupInfo per committed copy, the failures of the copies
/// dropped, and whether at least MinimumCopies committed (Shortfall says what is missing when not).
/// </summary>
public sealed record BackupOutcome(IReadOnlyList<BackupInfo> Backups, IReadOnlyList<ClutterException> FailedCopies, int Minimum)
{
    public bool MinimumMet => Backups.Count >= Minimum;

    public ClutterException? Shortfall => MinimumMet ? null : new ClutterException(Errors.TooFewCopies,
        $"Only {Backups.Count} of {Backups.Count + FailedCopies.Count} copies committed and {Minimum} {(Minimum == 1 ? "is" : "are")} needed. The committed {(Backups.Count == 1 ? "copy is a complete backup and was kept" : "copies are complete backups and were kept")}: {string.Join(", ", Backups.Select(b => b.Location))}. The others failed: {string.Join("; ", FailedCopies.Select(f => f.Message))}",
        string.Join(", ", FailedCopies.Select(f => f.Target?.ToString())));
}
