using ClutterDR.Catalog;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Snapshots;

/// <summary>A snapshot index found under a snapshot location: its key (relative to the location), name and time.</summary>
public sealed record SnapshotRef(string Key, string Name, DateTime Created);

/// <summary>
/// The snapshots under one location over its <see cref="IObjectStore"/>: listing the indexes, reading one
/// (zstd JSON), writing one last and create-only (the commit marker), the blobs present, and the one way a
/// location text (the root, or one index's location) becomes a store and an index.
/// </summary>
public static class SnapshotRepository
{
    /// <summary>The root of a snapshot location and the index it names (null: the location is the root).</summary>
    public static (BackupLocation Root, string? IndexKey) Split(BackupLocation location)
    {
        var text = location.IsS3 ? location.Prefix : location.Path.Replace('\\', '/');
        if (!text.EndsWith(SnapshotIndex.Suffix, StringComparison.Ordinal)) return (location, null);
        var (snapshots, name) = location.SplitObject();
        var (root, folder) = snapshots.SplitObject();
        if (folder != SnapshotIndex.SnapshotsPrefix.TrimEnd('/'))
            throw new ClutterException(Errors.SnapshotNotFound,
                $"'{location}' is not in a snapshots/ folder of a snapshot location. Give the location Backup-ClutterStorage wrote to, or a snapshot from Get-ClutterStorageSnapshot.", location.ToString());
        return (root, SnapshotIndex.SnapshotsPrefix + name);
    }

    public static async Task<List<SnapshotRef>> ListAsync(IObjectStore store, string? name, CancellationToken cancellationToken)
    {
        var found = new List<SnapshotRef>();
        var prefix = SnapshotIndex.SnapshotsPrefix + (name is null ? "" : name + "_");
        await foreach (var o in store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
            if (SnapshotIndex.ParseKey(o.Key) is { } p && (name is null || p.Name == name))
                found.Add(new SnapshotRef(o.Key, p.Name, p.Created));
        found.Sort((a, b) => a.Created != b.Created ? a.Created.CompareTo(b.Created) : string.CompareOrdinal(a.Name, b.Name));
        return found;
    }

    public static async Task<SnapshotIndex> ReadAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        var target = store.Describe(key);
        try
        {
            return await store.Retry.ExecuteAsync(async ct =>
            {
                await using var stored = await store.OpenReadAsync(key, ct).ConfigureAwait(false);
                await using var json = StoredFormat.CodecOf(CompressionKind.Zstd).WrapForRead(stored);
                using var buffer = new MemoryStream();
                await json.CopyToAsync(buffer, ct).ConfigureAwait(false);
                return SnapshotIndex.FromJson(buffer.ToArray(), target);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException e)
        {
            throw new ClutterException(Errors.SnapshotNotFound,
                $"The snapshot '{target}' does not exist. List the snapshots with Get-ClutterStorageSnapshot.", target, e);
        }
        catch (Exception e) when (StoredFormat.IsDataError(e))
        {
            throw new ClutterException(Errors.SnapshotIndexInvalid, $"The snapshot index '{target}' is damaged ({e.Message}). Use another snapshot.", target, e);
        }
    }

    /// <summary>Writes the index create-only; a name taken in the same second moves the time on by a second. Returns its key.</summary>
    public static async Task<string> WriteAsync(IObjectStore store, SnapshotIndex index, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var key = SnapshotIndex.IndexKey(index.Name, index.Created);
            using var buffer = new MemoryStream();
            await using (var zstd = StoredFormat.CodecOf(CompressionKind.Zstd).WrapForWrite(buffer, 3))
                await zstd.WriteAsync(index.ToJson(), cancellationToken).ConfigureAwait(false);
            buffer.Position = 0;
            var options = new WriteOptions { ContentType = "application/zstd", CreateOnly = true, Durable = true };
            if (await store.PutAsync(key, buffer, options, cancellationToken).ConfigureAwait(false)) return key;
            if (attempt >= 10) throw new ClutterException(Errors.BackupObjectExists, $"The snapshot index '{store.Describe(key)}' exists already.", store.Describe(key));
            index.Created = index.Created.AddSeconds(1);
        }
    }

    /// <summary>The blobs present: SHA-256 -> stored size.</summary>
    public static async Task<Dictionary<string, long>> BlobsAsync(IObjectStore store, CancellationToken cancellationToken)
    {
        var blobs = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var o in store.ListAsync(SnapshotIndex.BlobsPrefix, cancellationToken).ConfigureAwait(false))
        {
            var name = o.Key[(o.Key.LastIndexOf('/') + 1)..];
            if (SnapshotIndex.IsSha256(name) && o.Key == SnapshotIndex.BlobKey(name)) blobs[name] = o.Size;
        }
        return blobs;
    }

    /// <summary>The index a location names: the one given, else the newest (of a name) under the root.</summary>
    public static async Task<(string Key, SnapshotIndex Index)> ResolveAsync(IObjectStore store, string? indexKey, string? name, CancellationToken cancellationToken)
    {
        if (indexKey is null)
        {
            var all = await ListAsync(store, name, cancellationToken).ConfigureAwait(false);
            if (all.Count == 0)
                throw new ClutterException(Errors.SnapshotNotFound,
                    $"There is no snapshot{(name is null ? "" : $" named '{name}'")} under '{store.Location}'. Give the location Backup-ClutterStorage -Destination wrote to.", store.Location.ToString());
            indexKey = all[^1].Key;
        }
        return (indexKey, await ReadAsync(store, indexKey, cancellationToken).ConfigureAwait(false));
    }

    public static StorageSnapshot Describe(IObjectStore store, string key, SnapshotIndex index) => new()
    {
        Name = index.Name, Created = index.Created, Location = store.Describe(key), Source = index.Source,
        Files = index.Files.Count, Bytes = index.Bytes, NewBlobs = index.NewBlobs, NewBytes = index.NewBytes, Reused = index.Reused,
        Duration = index.Duration, Encrypted = index.Encryption != EncryptionKind.None,
    };
}
