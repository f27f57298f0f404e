namespace ClutterDR;

/// <summary>One complete backup (its manifest exists), as the cmdlets output it.</summary>
public sealed class BackupInfo
{
    /// <summary>Where the backup's data object is: s3://bucket/key or a file path.</summary>
    public string Location { get; init; } = "";
    public string Database { get; init; } = "";
    /// <summary>Database (a dump) or Config (Backup-ClutterConfiguration: Database is then the configuration's name).</summary>
    public string Kind { get; init; } = "Database";
    public DateTime CreatedUtc { get; init; }
    public DateTime CompletedUtc { get; init; }
    public TimeSpan Age => DateTime.UtcNow - CreatedUtc;
    public long SizeBytes { get; init; }
    public long RawSizeBytes { get; init; }
    public string Format { get; init; } = "";
    public string Compression { get; init; } = "";
    public string Encryption { get; init; } = "None";
    /// <summary>Fingerprints of the public keys an encrypted backup was encrypted to (empty otherwise).</summary>
    public string[] Recipients { get; init; } = Array.Empty<string>();
    public string Sha256 { get; init; } = "";
    public string ManifestLocation { get; init; } = "";
    public string? ServerVersion { get; init; }
    public string? PgDumpVersion { get; init; }
    public TableRowCount[] Tables { get; init; } = Array.Empty<TableRowCount>();
    /// <summary>S3 Object Lock: "Governance" or "Compliance" when the backup was written locked, else null.</summary>
    public string? RetentionMode { get; init; }
    /// <summary>Until when the data object and the manifest cannot be deleted or overwritten (UTC), else null.</summary>
    public DateTime? RetainUntil { get; init; }
    /// <summary>True while the Object Lock retention lasts.</summary>
    public bool Locked => RetainUntil is DateTime until && until > DateTime.UtcNow;
    /// <summary>Pinned with Set-ClutterBackup -Pinned $true (a '.pinned' sidecar beside the data object): retention never removes it.</summary>
    public bool Pinned { get; internal set; }

    // Where it came from, so a piped BackupInfo needs no S3 options repeated. Never a secret.
    public string? EndpointUrl { get; init; }
    public string? Region { get; init; }
    public string? ProfileName { get; init; }

    public override string ToString() => Location;
}
