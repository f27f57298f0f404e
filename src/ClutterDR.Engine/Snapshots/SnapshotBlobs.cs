using System.Collections.Concurrent;
using System.Security.Cryptography;
using ClutterDR.Catalog;
using ClutterDR.Storage;
using ClutterDR.Streams;
using ClutterDR.Sync;

namespace ClutterDR.Snapshots;

/// <summary>
/// Stores a file's content once, under <c>blobs/&lt;2 hex&gt;/&lt;sha256&gt;</c> (through the stored format: plain, or
/// OpenPGP). The name is the content's hash, so it must be known before the write: a file below the in-memory
/// limit (nearly every media file) is read once into memory, hashed and put in one request; a larger one is read
/// twice (hashed, then streamed only when its blob is new), because a temporary key plus a server-side copy costs
/// the server a second write of every new large file and is not there for folders. Content already stored (listed
/// at the start, or written by another file of this run) is not written again.
/// </summary>
internal sealed class SnapshotBlobs
{
    private readonly IObjectStore _store;
    private readonly StoredFormat _format;
    private readonly ConcurrentDictionary<string, long> _present;
    private readonly ConcurrentDictionary<string, Lazy<Task>> _writing = new(StringComparer.Ordinal);
    private int _newBlobs;
    private long _newBytes;

    public SnapshotBlobs(IObjectStore store, StoredFormat format, Dictionary<string, long> present)
    {
        _store = store; _format = format; _present = new ConcurrentDictionary<string, long>(present, StringComparer.Ordinal);
    }

    public int NewBlobs => _newBlobs;
    public long NewBytes => Interlocked.Read(ref _newBytes);
    public bool Has(string sha256) => _present.ContainsKey(sha256);

    /// <summary>Reads the file, stores its blob when new; returns its index entry and whether this call wrote the blob.</summary>
    public async Task<(SnapshotFile File, bool Stored)> StoreAsync(SyncSide source, SyncEntry entry, long inMemoryLimit, CancellationToken ct)
    {
        byte[]? content = null;
        string sha256, md5;
        ObjectStat stat;
        await using (var input = await source.Store.OpenReadAsync(entry.Key, ct).ConfigureAwait(false))
        {
            stat = input.Stat;
            if (stat.Size < inMemoryLimit)
            {
                content = new byte[stat.Size];
                await input.ReadExactlyAsync(content, ct).ConfigureAwait(false);
                (sha256, md5) = (Hex(SHA256.HashData(content)), Hex(MD5.HashData(content)));
            }
            else
            {
                (sha256, md5) = await HashAsync(input, ct).ConfigureAwait(false);
            }
        }
        var file = new SnapshotFile
        {
            Key = entry.Key, Size = stat.Size, Modified = SyncSide.ModifiedOf(stat, entry), Listed = entry.ModifiedUtc,
            Md5 = md5, Sha256 = sha256,
            ContentType = string.IsNullOrEmpty(stat.ContentType) ? ContentTypes.Of(entry.Key) : stat.ContentType,
            Metadata = stat.Metadata.Count == 0 ? null : new Dictionary<string, string>(stat.Metadata, StringComparer.Ordinal),
        };
        if (_present.ContainsKey(sha256)) return (file, false);
        var mine = new Lazy<Task>(() => WriteAsync(source, entry.Key, sha256, content, stat.Size, ct));
        var task = _writing.GetOrAdd(sha256, mine);
        try
        {
            await task.Value.ConfigureAwait(false);
        }
        catch
        {
            _writing.TryRemove(new KeyValuePair<string, Lazy<Task>>(sha256, task)); // the next attempt writes it again
            throw;
        }
        return (file, ReferenceEquals(task, mine));
    }

    private async Task WriteAsync(SyncSide source, string key, string sha256, byte[]? content, long size, CancellationToken ct)
    {
        var blobKey = SnapshotIndex.BlobKey(sha256);
        long stored;
        if (content is not null)
        {
            byte[] body = content;
            if (_format.Plan is not null)
            {
                using var buffer = new MemoryStream();
                await using (var w = _format.OpenWrite(buffer, sha256, DateTime.UnixEpoch, hash: false))
                {
                    await w.Input.WriteAsync(content, ct).ConfigureAwait(false);
                    await w.CompleteAsync().ConfigureAwait(false);
                }
                body = buffer.ToArray();
            }
            await _store.PutAsync(blobKey, body, new WriteOptions { ExpectedSize = body.Length }, ct).ConfigureAwait(false);
            stored = body.Length;
        }
        else
        {
            // Read again and stream; the content must still hash to the name, else nothing is kept and the file is tried again.
            await using var input = await source.Store.OpenReadAsync(key, ct).ConfigureAwait(false);
            await using var writer = await _store.CreateWriteAsync(blobKey, new WriteOptions { ExpectedSize = size }, ct).ConfigureAwait(false);
            using var hashing = new HashingStream(input);
            // hash: the chain's hashing stage also keeps the writer's stream open when the OpenPGP message ends.
            await using (var w = _format.OpenWrite(writer.Stream, sha256, DateTime.UnixEpoch))
            {
                await w.PumpAsync(hashing, null, ct).ConfigureAwait(false);
                await w.CompleteAsync().ConfigureAwait(false);
            }
            if (hashing.FinishHash() != sha256)
            {
                await writer.AbortAsync().ConfigureAwait(false);
                throw new IOException($"'{source.Describe(key)}' changed while it was stored; it is read again");
            }
            stored = writer.BytesWritten; // before the complete: a folder's writer closes its file
            await writer.CompleteAsync(ct).ConfigureAwait(false);
        }
        _present[sha256] = stored;
        Interlocked.Increment(ref _newBlobs);
        Interlocked.Add(ref _newBytes, stored);
    }

    private static async Task<(string Sha256, string Md5)> HashAsync(Stream input, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            md5.AppendData(buffer, 0, n);
        }
        return (Hex(sha.GetHashAndReset()), Hex(md5.GetHashAndReset()));
    }

    internal static string Hex(byte[] hash) => Convert.ToHexString(hash).ToLowerInvariant();
}
