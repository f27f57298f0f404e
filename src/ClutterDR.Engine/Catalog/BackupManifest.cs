using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClutterDR.Catalog;

/// <summary>
/// The commit marker of a backup, written last beside the data object. Holds no secret: encryption is
/// described by mode and key fingerprints only.
/// </summary>
public sealed class BackupManifest
{
    public const int CurrentVersion = 1;

    public int ManifestVersion { get; set; } = CurrentVersion;
    /// <summary>"config" for a configuration backup (Backup-ClutterConfiguration); absent for a database backup.</summary>
    public string? Kind { get; set; }
    /// <summary>A configuration backup's entries (file names and variable names; never a value).</summary>
    public List<string>? Contents { get; set; }
    public string Tool { get; set; } = "";
    public string Database { get; set; } = "";
    public string? ServerVersion { get; set; }
    /// <summary>host:port of the server the backup was taken from (no user, no password); null in older manifests.</summary>
    public string? SourceServer { get; set; }
    /// <summary>The source cluster's system identifier (pg_control_system()); null when unreadable or in older manifests.</summary>
    public string? SourceSystemIdentifier { get; set; }
    public string? PgDumpVersion { get; set; }
    public DumpFormat Format { get; set; }
    public CompressionKind Compression { get; set; }
    public int? CompressionLevel { get; set; }
    public ManifestEncryption Encryption { get; set; } = new();
    /// <summary>File name of the data object, in the same folder as the manifest.</summary>
    public string DataObject { get; set; } = "";
    public long RawBytes { get; set; }
    public long StoredBytes { get; set; }
    /// <summary>SHA-256 (lower-case hex) of the stored object, exactly as stored.</summary>
    public string Sha256 { get; set; } = "";
    public DateTime StartedUtc { get; set; }
    public DateTime CompletedUtc { get; set; }
    public List<TableRowCount> Tables { get; set; } = new();
    /// <summary>The project's own roles stored beside the backup (-IncludeRoles); null: none.</summary>
    public ManifestRoles? Roles { get; set; }
    /// <summary>"Supabase" when the source was a Supabase project (its roles and managed schemas); null for plain PostgreSQL.</summary>
    public string? Platform { get; set; }
    /// <summary>The S3 Object Lock retention both objects were written with (null: none).</summary>
    public ManifestObjectLock? ObjectLock { get; set; }

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Options);

    /// <summary>Parses a manifest; a damaged one is a ManifestInvalid error naming its location.</summary>
    public static BackupManifest Parse(ReadOnlySpan<byte> json, string location)
    {
        BackupManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<BackupManifest>(json, Options);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is long line ? $" (JSON error at line {line + 1}, byte {(e.BytePositionInLine ?? 0) + 1})" : "";
            throw Damaged(location, "it is not valid JSON", where, e);
        }
        if (m is null) throw Damaged(location, "it is empty", "");
        if (m.ManifestVersion < 1 || m.ManifestVersion > CurrentVersion)
            throw Invalid(location, $"its manifestVersion {m.ManifestVersion} is not one this ClutterDR reads (1..{CurrentVersion}); update ClutterDR");
        if (string.IsNullOrEmpty(m.Database) || string.IsNullOrEmpty(m.DataObject) || m.Sha256.Length != 64)
            throw Damaged(location, "it lacks database, dataObject or sha256", "");
        m.StartedUtc = DateTime.SpecifyKind(m.StartedUtc, DateTimeKind.Utc);
        m.CompletedUtc = DateTime.SpecifyKind(m.CompletedUtc, DateTimeKind.Utc);
        return m;
    }

    private static ClutterException Damaged(string location, string why, string detail, Exception? inner = null) =>
        new(Errors.ManifestInvalid,
            $"The backup manifest '{location}' is damaged: {why}. Without it the backup cannot be checked or trusted: " +
            $"restore or test another backup (Get-ClutterBackup lists them), or put back an intact copy of the manifest from another copy of the repository.{detail}",
            location, inner);

    private static ClutterException Invalid(string location, string why, Exception? inner = null) =>
        new(Errors.ManifestInvalid,
            $"The backup manifest '{location}' cannot be read: {why}. The backup cannot be trusted; use another backup (Get-ClutterBackup lists them).",
            location, inner);
}

/// <summary>The second object of a backup made with -IncludeRoles: SQL that creates the project's own roles, never a password.</summary>
public sealed class ManifestRoles
{
    public const string Suffix = ".roles.sql";
    /// <summary>File name of the roles object, in the same folder as the manifest.</summary>
    public string Object { get; set; } = "";
    public string Sha256 { get; set; } = "";
    public List<string> Names { get; set; } = new();
}

public sealed class ManifestObjectLock
{
    /// <summary>"Governance" or "Compliance".</summary>
    public string Mode { get; set; } = "";
    public DateTime RetainUntilUtc { get; set; }
}

public sealed class ManifestEncryption
{
    public EncryptionKind Mode { get; set; } = EncryptionKind.None;
    /// <summary>"PublicKey", "Passphrase" or "PublicKey, Passphrase" when encrypted.</summary>
    public string? Method { get; set; }
    /// <summary>Symmetric cipher of the OpenPGP message, e.g. "AES256".</summary>
    public string? Algorithm { get; set; }
    /// <summary>Fingerprints of the recipients' primary keys (as gpg --list-keys shows them); never a key.</summary>
    public List<string>? RecipientFingerprints { get; set; }
}
