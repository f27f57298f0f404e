using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Backup;

/// <summary>
/// The manifests of one backup: what each copy's manifest records (the tool, the database, the stored format,
/// sizes and SHA-256, row counts, the lock), written last, beside each copy's data object, as its commit.
/// </summary>
internal sealed class ManifestWriter
{
    private readonly BackupRequest _request;
    private readonly StoredFormat _format;
    private readonly PgTool _pgDump;
    private readonly string _serverVersion;
    private readonly DateTime _started;
    private readonly TimeProvider _clock;

    public ManifestWriter(BackupRequest request, StoredFormat format, PgTool pgDump, string serverVersion, DateTime started, TimeProvider clock)
    {
        _request = request; _format = format; _pgDump = pgDump; _serverVersion = serverVersion; _started = started; _clock = clock;
    }

    /// <summary>"Supabase" when the source is a Supabase project.</summary>
    public string? Platform { get; init; }

    /// <summary>-IncludeRoles: the filtered roles SQL, written as a second object before each manifest.</summary>
    public (string Sql, IReadOnlyList<string> Roles)? Roles { get; set; }

    /// <summary>The server the backup is taken from (host:port, system identifier).</summary>
    public PgServerIdentity? Source { get; init; }

    public BackupManifest For(BackupName name, StoredResult stored, List<TableRowCount> tables)
    {
        var manifest = new BackupManifest
        {
            Tool = BackupService.ToolName,
            Database = _request.Connection.Database,
            ServerVersion = _serverVersion,
            SourceServer = Source?.Server,
            SourceSystemIdentifier = Source?.SystemIdentifier,
            PgDumpVersion = _pgDump.Version.ToString(),
            Format = _request.Format,
            DataObject = name.FileName,
            RawBytes = stored.RawBytes,
            StoredBytes = stored.StoredBytes,
            Sha256 = stored.Sha256,
            StartedUtc = _started,
            CompletedUtc = _clock.GetUtcNow().UtcDateTime,
            Tables = tables,
            Platform = Platform,
            ObjectLock = _request.ObjectLock is null ? null : new ManifestObjectLock { Mode = _request.ObjectLock.Mode.ToString(), RetainUntilUtc = _request.ObjectLock.RetainUntilUtc },
        };
        _format.Describe(manifest);
        return manifest;
    }

    /// <summary>Writes every live copy's manifest and gives its name claim back; from here a copy that fails takes only itself.</summary>
    public async Task CommitAsync(CopySet copies, StoredResult stored, List<TableRowCount> tables, BackupNameClaims claims, IEngineHost sink, CancellationToken cancellationToken)
    {
        // An archived manifest (GLACIER, DEEP_ARCHIVE) could not be read without a restore request, and
        // every listing reads manifests: it stays in STANDARD, only the data object is archived.
        var manifestClass = StorageClasses.ForManifest(_request.StorageClass);
        if (manifestClass != _request.StorageClass)
            sink.Verbose($"The data object is stored as {_request.StorageClass}; its manifest stays in STANDARD so that listings can read it. Restore the data object from {_request.StorageClass} (aws s3api restore-object) before Restore-ClutterDatabase.");
        // From here a copy that fails takes only itself: the others' manifests may already be committed.
        copies.Committing = true;
        await copies.EachAsync(async c =>
        {
            var manifest = For(c.Name!, stored, tables);
            if (Roles is { } roles)
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(roles.Sql);
                manifest.Roles = new ManifestRoles
                {
                    Object = c.Name!.FileName + ManifestRoles.Suffix, Names = roles.Roles.ToList(),
                    Sha256 = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant(),
                };
                await c.Repository.PutAsync(c.Name.Key + ManifestRoles.Suffix, bytes, "application/sql", manifestClass, cancellationToken).ConfigureAwait(false);
            }
            await c.Repository.PutAsync(c.Name!.ManifestKey, manifest.ToJson(), "application/json", manifestClass, cancellationToken).ConfigureAwait(false);
            c.Info = BackupCatalog.ToInfo(manifest, c.Repository, c.Name, _request.S3);
            await claims.ReleaseAsync(c.Repository, c.Claim).ConfigureAwait(false);
            c.Claim = null;
        }).ConfigureAwait(false);
    }
}
