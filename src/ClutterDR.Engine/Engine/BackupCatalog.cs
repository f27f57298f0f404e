using ClutterDR.Catalog;
using ClutterDR.Repositories;

namespace ClutterDR.Engine;

public sealed record BackupQuery
{
    public required BackupLocation Location { get; init; }
    public S3Options S3 { get; init; } = new();
    public string? Database { get; init; }
    public int? Newest { get; init; }
    public DateTime? SinceUtc { get; init; }
    /// <summary>Told of each backup whose manifest cannot be read; the listing goes on without it.</summary>
    public Action<ClutterException>? OnDamaged { get; init; }
    /// <summary>Told what is listed and read, and where (for -Verbose).</summary>
    public Action<string>? OnVerbose { get; init; }
}

/// <summary>
/// Finds complete backups (those with a manifest) under a location, newest first. The newest is
/// found from object names alone; only the manifests of the backups returned are read.
/// </summary>
public static class BackupCatalog
{
    private const int ManifestReadsInFlight = 8;

    public static async Task<List<BackupInfo>> FindAsync(BackupQuery query, CancellationToken cancellationToken)
    {
        using var repository = RepositoryFactory.Open(query.Location, query.S3);
        await repository.EnsureReadableAsync(cancellationToken).ConfigureAwait(false);
        var names = await ListManifestNamesAsync(repository, query.Database, cancellationToken).ConfigureAwait(false);
        IEnumerable<(BackupName Name, string ManifestKey)> selected = names;
        if (query.SinceUtc is DateTime since) selected = selected.Where(n => n.Name.CreatedUtc >= since.AddSeconds(-1));
        var list = selected.ToList();
        query.OnVerbose?.Invoke($"Listed {names.Count} backup manifest{(names.Count == 1 ? "" : "s")}{(query.Database is null ? "" : $" of {query.Database}")} under {repository.Location}; {list.Count} in range, reading {(query.Newest is int w ? $"the newest {Math.Min(w, list.Count)}" : "all of them")}.");
        var results = new List<BackupInfo>();
        var index = 0;
        while (index < list.Count && (query.Newest is not int n || results.Count < n))
        {
            var want = query.Newest is int k ? Math.Max(1, k - results.Count) : ManifestReadsInFlight;
            var batch = list.Skip(index).Take(Math.Min(want, ManifestReadsInFlight)).ToList();
            index += batch.Count;
            var infos = await Task.WhenAll(batch.Select(b => TryReadAsync(repository, b.Name, b.ManifestKey, query, cancellationToken))).ConfigureAwait(false);
            foreach (var info in infos)
            {
                if (info is null) continue;
                if (query.Database is not null && !string.Equals(info.Database, query.Database, StringComparison.Ordinal)) continue;
                if (query.SinceUtc is DateTime s && info.CreatedUtc < s) continue;
                results.Add(info);
                if (query.Newest is int m && results.Count >= m) break;
            }
        }
        return results;
    }

    /// <summary>Manifest keys under the repository, newest first. Accepts the repository root or one database's folder.</summary>
    internal static async Task<List<(BackupName Name, string ManifestKey)>> ListManifestNamesAsync(IBackupRepository repository, string? database, CancellationToken cancellationToken)
    {
        var folder = database is null ? null : BackupName.SafeFolderName(database);
        var found = new List<(BackupName, string)>();
        await foreach (var entry in repository.ListAsync("", cancellationToken).ConfigureAwait(false))
        {
            if (!entry.Key.EndsWith(BackupName.ManifestSuffix, StringComparison.Ordinal)) continue;
            var segments = entry.Key.Split('/');
            if (segments.Length > 2) continue;
            var name = BackupName.TryParse(segments[^1]);
            if (name is null) continue;
            if (segments.Length == 2 && segments[0] != name.DatabaseFolder) continue;
            if (folder is not null && name.DatabaseFolder != folder) continue;
            found.Add((name, entry.Key));
        }
        found.Sort((a, b) => b.Item1.CompareTo(a.Item1));
        return found;
    }

    private static async Task<BackupInfo?> TryReadAsync(IBackupRepository repository, BackupName name, string manifestKey, BackupQuery query, CancellationToken cancellationToken)
    {
        try
        {
            query.OnVerbose?.Invoke($"Reading the manifest {repository.Describe(manifestKey)}.");
            return await ReadAsync(repository, name, manifestKey, query.S3, cancellationToken).ConfigureAwait(false);
        }
        catch (ClutterException e) when (e.ErrorId is "ManifestInvalid" && query.OnDamaged is not null)
        {
            query.OnDamaged(e);
            return null;
        }
    }

    public static async Task<BackupInfo> ReadAsync(IBackupRepository repository, BackupName name, string manifestKey, S3Options s3, CancellationToken cancellationToken)
    {
        var manifest = await ReadManifestAsync(repository, manifestKey, cancellationToken).ConfigureAwait(false);
        return ToInfo(manifest, repository, name, s3, manifestKey);
    }

    public static async Task<BackupManifest> ReadManifestAsync(IBackupRepository repository, string manifestKey, CancellationToken cancellationToken)
    {
        var where = repository.Describe(manifestKey);
        var bytes = await repository.TryReadAllAsync(manifestKey, cancellationToken).ConfigureAwait(false)
            ?? throw new ClutterException("ManifestNotFound", FailureKind.ObjectNotFound,
                $"The backup at '{where.Substring(0, where.Length - BackupName.ManifestSuffix.Length)}' has no manifest, so it is incomplete (a failed or running backup) or not a ClutterDR backup. Pick a complete backup with Get-ClutterBackup.",
                where);
        return BackupManifest.Parse(bytes, where);
    }

    public static BackupInfo ToInfo(BackupManifest m, IBackupRepository repository, BackupName name, S3Options s3, string? manifestKey = null)
    {
        manifestKey ??= name.ManifestKey;
        var dataKey = manifestKey[..(manifestKey.LastIndexOf('/') + 1)] + m.DataObject; // beside the manifest
        return new BackupInfo
        {
            Location = repository.Describe(dataKey),
            ManifestLocation = repository.Describe(manifestKey),
            Database = m.Database,
            CreatedUtc = m.StartedUtc,
            CompletedUtc = m.CompletedUtc,
            SizeBytes = m.StoredBytes,
            RawSizeBytes = m.RawBytes,
            Format = m.Format.ToString(),
            Compression = m.Compression.ToString(),
            Encryption = m.Encryption.Mode == EncryptionKind.None ? "None" : $"{m.Encryption.Mode} ({m.Encryption.Method})",
            Recipients = m.Encryption.RecipientFingerprints?.ToArray() ?? Array.Empty<string>(),
            Sha256 = m.Sha256,
            ServerVersion = m.ServerVersion,
            PgDumpVersion = m.PgDumpVersion,
            Tables = m.Tables.ToArray(),
            EndpointUrl = repository.Location.IsS3 ? s3.EndpointUrl : null,
            Region = repository.Location.IsS3 ? s3.Region : null,
            ProfileName = repository.Location.IsS3 ? s3.ProfileName : null,
        };
    }
}
