using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Storage;
using ClutterDR.Streams;
using ClutterDR.Sync;

namespace ClutterDR.Snapshots;

/// <summary>
/// Reading a blob back: the stored format's read chain (decrypting when the snapshot is encrypted) and a
/// SHA-256 of the content as it streams, compared with the blob's name before anything is kept.
/// </summary>
internal static class SnapshotReader
{
    private const int InMemoryLimit = 16 << 20;

    public static StoredFormat FormatOf(SnapshotIndex index) =>
        index.Encryption == EncryptionKind.OpenPgp ? StoredFormat.OpenPgpFile(null) : new StoredFormat(CompressionKind.None, 0, null);

    /// <summary>Writes one file to the destination with its content type, metadata and time; a blob that does not hash to its name is refused.</summary>
    public static async Task CopyOutAsync(IObjectStore store, StoredFormat format, SnapshotFile f, SyncSide destination, DecryptionOptions decryption, CancellationToken ct)
    {
        var blobKey = SnapshotIndex.BlobKey(f.Sha256);
        var metadata = new Dictionary<string, string>(f.Metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (destination.KeepsTimeInMetadata) metadata[SyncEntry.MtimeMetadata] = SyncEntry.FormatMtime(f.Modified);
        var options = new WriteOptions
        {
            ContentType = f.ContentType ?? ContentTypes.Of(f.Key),
            Metadata = destination.KeepsTimeInMetadata ? metadata : null,
            ModifiedUtc = f.Modified,
            ExpectedSize = f.Size,
        };
        await using var stored = await store.OpenReadAsync(blobKey, ct).ConfigureAwait(false);
        await using var content = format.OpenRead(stored, decryption, store.Describe(blobKey));
        using var hashing = new HashingStream(content);
        if (!destination.IsFolder && f.Size < InMemoryLimit)
        {
            var buffer = new MemoryStream((int)f.Size);
            await hashing.CopyToAsync(buffer, ct).ConfigureAwait(false);
            Check(hashing, f, store, blobKey);
            buffer.Position = 0;
            await destination.Store.PutAsync(f.Key, buffer, options, ct).ConfigureAwait(false);
            return;
        }
        await using var writer = await destination.Store.CreateWriteAsync(f.Key, options, ct).ConfigureAwait(false);
        await hashing.CopyToAsync(writer.Stream, 1 << 20, ct).ConfigureAwait(false);
        Check(hashing, f, store, blobKey);
        await writer.CompleteAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Reads a blob to its end and says whether its content hashes to its name.</summary>
    public static async Task<bool> HashesToNameAsync(IObjectStore store, StoredFormat format, string sha256, DecryptionOptions decryption, CancellationToken ct)
    {
        var blobKey = SnapshotIndex.BlobKey(sha256);
        await using var stored = await store.OpenReadAsync(blobKey, ct).ConfigureAwait(false);
        await using var content = format.OpenRead(stored, decryption, store.Describe(blobKey));
        using var hashing = new HashingStream(content);
        await hashing.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
        return hashing.FinishHash() == sha256;
    }

    private static void Check(HashingStream hashing, SnapshotFile f, IObjectStore store, string blobKey)
    {
        if (hashing.FinishHash() != f.Sha256 || hashing.BytesCount != f.Size)
            throw new ClutterException(Errors.SnapshotBlobDamaged,
                $"The blob '{store.Describe(blobKey)}' of '{f.Key}' does not hold the content it is named for ({hashing.BytesCount:N0} bytes, SHA-256 {hashing.FinishHash()}); the file was not written. Restore it from an older snapshot.",
                f.Key);
    }

    public static ClutterException MapError(Exception e, IObjectStore store, SnapshotFile f, string target)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerException!;
        if (e is ObjectNotFoundException)
            return new ClutterException(Errors.SnapshotBlobMissing,
                $"The blob '{store.Describe(SnapshotIndex.BlobKey(f.Sha256))}' of '{f.Key}' is missing; the file was not restored. Restore it from an older snapshot.", f.Key, e);
        if (e is ClutterException ce) return ce;
        if (StoredFormat.IsDataError(e))
            return new ClutterException(Errors.SnapshotBlobDamaged, $"The blob of '{f.Key}' cannot be read ({e.Message}); the file was not written.", f.Key, e);
        return S3Errors.Map(e, target, forWrite: true) is ClutterException mapped ? mapped : new ClutterException(Errors.SnapshotFileFailed, $"Could not restore '{f.Key}' to '{target}': {e.Message}", target, e);
    }
}
