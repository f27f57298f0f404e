using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Backup;

/// <summary>
/// The newest backup of the database at the first destination, and the size a new backup is expected to have:
/// the previous one's raw size when it is comparable, else the tables' size on disk.
/// </summary>
internal sealed record PreviousBackup(BackupManifest? Manifest, string? Location, string? Problem)
{
    /// <summary>
    /// The newest backup of the database at the destination, if any: the catalog's listing (names sort by
    /// time) and one manifest read. A failure (a damaged manifest, no right to list) only costs the estimate.
    /// </summary>
    public static async Task<PreviousBackup> FindAsync(BackupRepository repository, string database, CancellationToken cancellationToken)
    {
        try
        {
            var names = await BackupCatalog.ListManifestNamesAsync(repository, database, cancellationToken).ConfigureAwait(false);
            if (names.Count == 0) return new PreviousBackup(null, null, null);
            var location = repository.Describe(names[0].ManifestKey);
            var manifest = await BackupCatalog.ReadManifestAsync(repository, names[0].ManifestKey, cancellationToken).ConfigureAwait(false);
            return new PreviousBackup(manifest, location, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new PreviousBackup(null, null, e.Message);
        }
    }

    /// <summary>The dump's expected size (verbose says where it comes from).</summary>
    public long? Expect(IEngineHost sink, string database, DumpFormat format, IReadOnlyList<PgRelation> tables, long tableBytes)
    {
        if (Problem is not null) sink.Verbose($"No previous backup of {database} to estimate the size from: {Problem}");
        var fromPrevious = Manifest is not null && DumpSizeEstimate.IsComparable(Manifest, database, format, tables.Select(t => (t.Schema, t.Name)));
        var expected = DumpSizeEstimate.ForDump(fromPrevious ? Manifest!.RawBytes : null, tableBytes);
        sink.Verbose(fromPrevious
            ? $"Expecting about {Format.Bytes(expected ?? 0)} of dump: the raw size of the previous backup {Location}."
            : $"Expecting about {Format.Bytes(expected ?? 0)} of dump: the tables' size on disk (no comparable previous backup{(Location is null ? "" : $"; {Location} is of other tables or another format")}); a dump is often larger, and the estimate grows when passed.");
        return expected;
    }
}
