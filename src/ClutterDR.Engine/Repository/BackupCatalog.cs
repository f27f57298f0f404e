using ClutterDR.Catalog;
using ClutterDR.Storage;

namespace ClutterDR.Repository;

public sealed record BackupQuery
{
    public required BackupLocation Location { get; init; }
    public S3Options S3 { get; init; } = new();
    /// <summary>Only backups of these databases; null or empty: every database found under the location.</summary>
    public IReadOnlyList<string>? Databases { get; init; }
    /// <summary>At most this many backups of each database, newest first.</summary>
    public int? Newest { get; init; }
    public DateTime? SinceUtc { get; init; }
    /// <summary>Database backups (the default) or configuration backups.</summary>
    public BackupKind Kind { get; init; } = BackupKind.Database;
    /// <summary>
    /// Told of each non-fatal problem through ProblemAsync and the listing goes on: a backup whose manifest cannot
    /// be read (ManifestInvalid) and, from FindAsync, a named database without any backup (BackupNotFound).
    /// Without a host a damaged manifest stops the listing.
    /// </summary>
    public IEngineHost? Host { get; init; }
}

/// <summary>What a listing found: the backups, the database folders that were there, the databases named but missing, and where it looked.</summary>
public sealed record BackupListing(List<BackupInfo> Backups, IReadOnlyList<string> DatabaseFolders, IReadOnlyList<string> MissingDatabases, string Location);

/// <summary>
/// Finds complete backups (those with a manifest) under a location, newest first. A location holds one
/// folder per database: -Newest/-Latest count per database, never across them. The newest are found from
/// object names alone; only the manifests of the backups returned are read.
/// </summary>
public static class BackupCatalog
{
    private const int ManifestReadsInFlight = 8;

    /// <summary>The backups found; each database named but without a backup is a BackupNotFound problem for the host.</summary>
    public static async Task<List<BackupInfo>> FindAsync(BackupQuery query, CancellationToken cancellationToken)
    {
        var listing = await ListAsync(query, cancellationToken).ConfigureAwait(false);
        if (query.Host is { } host)
            foreach (var d in listing.MissingDatabases)
                await host.ProblemAsync(NotFound(listing.Location, d, listing.DatabaseFolders, query.SinceUtc)).ConfigureAwait(false);
        return listing.Backups;
    }

    /// <summary>The backups found and what is missing; damaged manifests are problems for the host.</summary>

    public static async Task<BackupListing> ListAsync(BackupQuery query, CancellationToken cancellationToken)
    {
        using var repository = BackupRepository.Open(query.Location, query.S3);
        await repository.EnsureReadableAsync(cancellationToken).ConfigureAwait(false);
        var pinned = new HashSet<string>(StringComparer.Ordinal);
        var names = await ListManifestNamesAsync(repository, null, cancellationToken, pinned, query.Kind).ConfigureAwait(false);
        var folders = names.Select(n => n.Name.DatabaseFolder).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var wanted = query.Databases is { Count: > 0 } dbs ? dbs.Distinct(StringComparer.Ordinal).ToList() : null;
        var wantedFolders = wanted?.Select(BackupName.SafeFolderName).ToHashSet(StringComparer.Ordinal);

        // One queue of candidates per database folder, newest first.
        var groups = names
            .Where(n => wantedFolders is null || wantedFolders.Contains(n.Name.DatabaseFolder))
            .Where(n => query.SinceUtc is not DateTime since || n.Name.CreatedUtc >= since.AddSeconds(-1))
            .GroupBy(n => n.Name.DatabaseFolder, StringComparer.Ordinal)
            .Select(g => new Group(new Queue<(BackupName, string)>(g)))
            .ToList();

        query.Host?.Verbose($"Listed {names.Count} backup manifest{(names.Count == 1 ? "" : "s")} of {folders.Count} database{(folders.Count == 1 ? "" : "s")} under {repository.Location}; reading {(query.Newest is int w ? $"the newest {w} of each" : "all of them")}{(wanted is null ? "" : $" for {string.Join(", ", wanted)}")}.");
        using var gate = new SemaphoreSlim(ManifestReadsInFlight);
        while (true)
        {
            // Each round reads, for every database still short of -Newest, as many manifests as it lacks
            // (all of them without -Newest); a damaged one is reported and the next older one read next round.
            var round = new List<(Group Group, BackupName Name, string Key)>();
            foreach (var g in groups)
            {
                var need = query.Newest is int n ? n - g.Found.Count : int.MaxValue;
                while (need-- > 0 && g.Candidates.TryDequeue(out var c)) round.Add((g, c.Item1, c.Item2));
            }
            if (round.Count == 0) break;
            var infos = await Task.WhenAll(round.Select(async r =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try { return await TryReadAsync(repository, r.Name, r.Key, query, cancellationToken).ConfigureAwait(false); }
                finally { gate.Release(); }
            })).ConfigureAwait(false);
            for (var i = 0; i < round.Count; i++)
            {
                var info = infos[i];
                if (info is null) continue;
                if (wanted is not null && !wanted.Contains(info.Database, StringComparer.Ordinal)) continue;
                if (query.SinceUtc is DateTime s && info.CreatedUtc < s) continue;
                info.Pinned = pinned.Contains(round[i].Key[..^BackupName.ManifestSuffix.Length] + BackupName.PinnedSuffix);
                round[i].Group.Found.Add(info);
            }
        }

        var backups = groups.SelectMany(g => g.Found)
            .OrderByDescending(b => b.CreatedUtc).ThenBy(b => b.Database, StringComparer.Ordinal).ThenByDescending(b => b.Location, StringComparer.Ordinal)
            .ToList();
        var missing = wanted?.Where(d => !backups.Any(b => string.Equals(b.Database, d, StringComparison.Ordinal))).ToList() ?? new List<string>();
        return new BackupListing(backups, folders, missing, repository.Location.ToString());
    }

    private sealed record Group(Queue<(BackupName, string)> Candidates)
    {
        public List<BackupInfo> Found { get; } = new();
    }

    /// <summary>BackupNotFound for a location, or for one database under it, naming the databases that are there.</summary>
    public static ClutterException NotFound(string location, string? database, IReadOnlyList<string> folders, DateTime? sinceUtc = null)
    {
        var what = database is null ? "No complete backup" : $"No complete backup of database '{database}'";
        var since = sinceUtc is DateTime s ? $" since {s:u}" : "";
        var there = folders.Count == 0
            ? " The location holds no ClutterDR backup at all: check the location, or whether the backup job runs."
            : database is null
                ? " Check whether the backup job runs."
                : $" It holds backups of: {string.Join(", ", folders.Take(20))}{(folders.Count > 20 ? ", ..." : "")}. Check the name given to -Database, or whether that database's backup job runs.";
        return new ClutterException(Errors.BackupNotFound, $"{what} was found at '{location}'{since}.{there}", database ?? location);
    }

    /// <summary>
    /// Manifest keys under the repository, newest first. Without a database: the repository root or one
    /// database's folder. With one: only that database's folder below the root is listed. pinnedKeys, when given,
    /// gets the keys of the pin sidecars the same listing found.
    /// </summary>
    internal static async Task<List<(BackupName Name, string ManifestKey)>> ListManifestNamesAsync(BackupRepository repository, string? database, CancellationToken cancellationToken, ISet<string>? pinnedKeys = null, BackupKind kind = BackupKind.Database)
    {
        var folder = database is null ? null : BackupName.SafeFolderName(database);
        var found = new List<(BackupName, string)>();
        await foreach (var entry in repository.ListAsync(folder is null ? "" : folder + "/", cancellationToken).ConfigureAwait(false))
        {
            if (pinnedKeys is not null && entry.Key.EndsWith(BackupName.PinnedSuffix, StringComparison.Ordinal)) pinnedKeys.Add(entry.Key);
            if (!entry.Key.EndsWith(BackupName.ManifestSuffix, StringComparison.Ordinal)) continue;
            var segments = entry.Key.Split('/');
            if (segments.Length > 2) continue;
            var name = BackupName.TryParse(segments[^1]);
            if (name is null || name.Kind != kind) continue;
            if (segments.Length == 2 && segments[0] != name.DatabaseFolder) continue;
            if (folder is not null && name.DatabaseFolder != folder) continue;
            found.Add((name, entry.Key));
        }
        found.Sort((a, b) => b.Item1.CompareTo(a.Item1));
        return found;
    }

    private static async Task<BackupInfo?> TryReadAsync(BackupRepository repository, BackupName name, string manifestKey, BackupQuery query, CancellationToken cancellationToken)
    {
        try
        {
            query.Host?.Verbose($"Reading the manifest {repository.Describe(manifestKey)}.");
            return await ReadAsync(repository, name, manifestKey, query.S3, cancellationToken).ConfigureAwait(false);
        }
        catch (ClutterException e) when (e.Is(Errors.ManifestInvalid) && query.Host is not null)
        {
            await query.Host.ProblemAsync(e).ConfigureAwait(false);
            return null;
        }
    }

    public static async Task<BackupInfo> ReadAsync(BackupRepository repository, BackupName name, string manifestKey, S3Options s3, CancellationToken cancellationToken)
    {
        var manifest = await ReadManifestAsync(repository, manifestKey, cancellationToken).ConfigureAwait(false);
        return ToInfo(manifest, repository, name, s3, manifestKey);
    }

    public static async Task<BackupManifest> ReadManifestAsync(BackupRepository repository, string manifestKey, CancellationToken cancellationToken)
    {
        var where = repository.Describe(manifestKey);
        var bytes = await repository.TryReadAllAsync(manifestKey, cancellationToken).ConfigureAwait(false)
            ?? throw new ClutterException(Errors.ManifestNotFound,
                $"The backup at '{where.Substring(0, where.Length - BackupName.ManifestSuffix.Length)}' has no manifest, so it is incomplete (a failed or running backup) or not a ClutterDR backup. Pick a complete backup with Get-ClutterBackup.",
                where);
        return BackupManifest.Parse(bytes, where);
    }

    public static BackupInfo ToInfo(BackupManifest m, BackupRepository repository, BackupName name, S3Options s3, string? manifestKey = null)
    {
        manifestKey ??= name.ManifestKey;
        var dataKey = manifestKey[..(manifestKey.LastIndexOf('/') + 1)] + m.DataObject; // beside the manifest
        return new BackupInfo
        {
            Location = repository.Describe(dataKey),
            ManifestLocation = repository.Describe(manifestKey),
            Database = m.Database,
            Kind = m.Kind == "config" ? nameof(BackupKind.Config) : nameof(BackupKind.Database),
            CreatedUtc = m.StartedUtc,
            CompletedUtc = m.CompletedUtc,
            SizeBytes = m.StoredBytes,
            RawSizeBytes = m.RawBytes,
            Format = m.Kind == "config" ? "Tar" : m.Format.ToString(),
            Compression = m.Compression.ToString(),
            Encryption = m.Encryption.Mode == EncryptionKind.None ? "None" : $"{m.Encryption.Mode} ({m.Encryption.Method})",
            Recipients = m.Encryption.RecipientFingerprints?.ToArray() ?? Array.Empty<string>(),
            Sha256 = m.Sha256,
            ServerVersion = m.ServerVersion,
            PgDumpVersion = m.PgDumpVersion,
            Tables = m.Tables.ToArray(),
            RetentionMode = m.ObjectLock?.Mode,
            RetainUntil = m.ObjectLock is null ? null : DateTime.SpecifyKind(m.ObjectLock.RetainUntilUtc, DateTimeKind.Utc),
            EndpointUrl = repository.Location.IsS3 ? s3.EndpointUrl : null,
            Region = repository.Location.IsS3 ? s3.Region : null,
            ProfileName = repository.Location.IsS3 ? s3.ProfileName : null,
        };
    }
}
