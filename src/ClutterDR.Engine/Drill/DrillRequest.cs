using System.Globalization;
using System.Text;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Database;
using ClutterDR.Storage;

namespace ClutterDR.Drill;

/// <summary>What Test-ClutterRestore asks for: one backup, the scratch server, the checks and the objectives.</summary>
public sealed record DrillRequest
{
    /// <summary>Location of one backup's data object (or its manifest).</summary>
    public required BackupLocation Backup { get; init; }
    public S3Options S3 { get; init; } = new();
    /// <summary>The server to restore onto (its database part is only the maintenance database used to connect).</summary>
    public required PgConnectionSettings Server { get; init; }
    public TimeSpan? RtoObjective { get; init; }
    public TimeSpan? RpoObjective { get; init; }
    public IReadOnlyList<string> RequiredExtensions { get; init; } = Array.Empty<string>();
    /// <summary>Named SQL checks, in order; see <see cref="PgDrillChecks"/> for when one holds.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Queries { get; init; } = Array.Empty<KeyValuePair<string, string>>();
    public bool KeepDatabase { get; init; }
    public bool NoIntegrityCheck { get; init; }
    public bool AllowSourceServer { get; init; }
    public bool NoOwner { get; init; }
    /// <summary>A Supabase backup on a plain scratch server: its roles created NOLOGIN, or its privileges left out (RestoreRequest's).</summary>
    public bool CreateMissingRoles { get; init; }
    public bool NoPrivileges { get; init; }
    public DecryptionOptions Decryption { get; init; } = new();
    /// <summary>How long the drop of the scratch database may take once the drill has ended (also after Ctrl+C).</summary>
    public TimeSpan CleanupTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>The scratch database's name: clutterdr_drill_&lt;db&gt;_&lt;yyyyMMddTHHmmssZ&gt;, within PostgreSQL's 63 bytes.</summary>
public static class DrillNames
{
    public const string Prefix = "clutterdr_drill_";
    private const int MaxIdentifierBytes = 63;

    public static string Scratch(string database, DateTime startedUtc)
    {
        var stamp = "_" + startedUtc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var safe = BackupName.SafeFolderName(database);
        var room = MaxIdentifierBytes - Prefix.Length - stamp.Length;
        if (Encoding.UTF8.GetByteCount(safe) > room) safe = safe[..room];
        return Prefix + safe + stamp;
    }
}

/// <summary>Which backups a drill restores: the one named, or the newest of each database (or of those named) under a location.</summary>
public static class DrillTargets
{
    public static async Task<List<BackupLocation>> ResolveAsync(BackupLocation location, S3Options s3, IReadOnlyList<string>? databases, IEngineHost host, CancellationToken cancellationToken)
    {
        var last = location.IsS3 ? location.Prefix[(location.Prefix.LastIndexOf('/') + 1)..] : Path.GetFileName(location.Path);
        if (BackupName.TryParse(last) is not null) return [location];
        var found = await Repository.BackupCatalog.FindAsync(new Repository.BackupQuery
        {
            Location = location, S3 = s3, Databases = databases, Newest = 1, Host = host,
        }, cancellationToken).ConfigureAwait(false);
        if (found.Count == 0 && databases is not { Count: > 0 })
            throw Repository.BackupCatalog.NotFound(location.ToString(), null, Array.Empty<string>());
        return found.Select(b => BackupLocation.Parse(b.Location)).ToList();
    }
}
