using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Database;
using ClutterDR.Storage;

namespace ClutterDR.Restore;

/// <summary>What Restore-ClutterDatabase asks for: the backup, the target, and what of the backup to restore how.</summary>
public sealed record RestoreRequest
{
    public required PgConnectionSettings Target { get; init; }
    /// <summary>Location of one backup's data object (or its manifest).</summary>
    public required BackupLocation Backup { get; init; }
    public S3Options S3 { get; init; } = new();
    public bool Clean { get; init; }
    public bool CreateDatabase { get; init; }
    public bool NoOwner { get; init; }
    public IReadOnlyList<string> Tables { get; init; } = Array.Empty<string>();
    /// <summary>With Tables: load only their rows into the target's existing tables (TRUNCATE, then the rows).</summary>
    public bool DataOnly { get; init; }
    /// <summary>With DataOnly: also empty the tables outside the selection whose rows reference the selected ones.</summary>
    public bool Cascade { get; init; }
    /// <summary>What the target is: detected (Auto), a Supabase project, or plain PostgreSQL (whole-database restores).</summary>
    public TargetKind TargetKind { get; init; } = TargetKind.Auto;
    /// <summary>Creates the roles the backup names and the target lacks (NOLOGIN).</summary>
    public bool CreateMissingRoles { get; init; }
    /// <summary>Restores without grants, default privileges and owners.</summary>
    public bool NoPrivileges { get; init; }
    /// <summary>Key or passphrase of an encrypted backup.</summary>
    public DecryptionOptions Decryption { get; init; } = new();
}
