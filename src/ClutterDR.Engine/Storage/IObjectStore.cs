using ClutterDR.Catalog;

namespace ClutterDR.Storage;

/// <summary>An object of a listing; Key is relative to the store's location. ETag is S3's (null for a file).</summary>
public sealed record ObjectEntry(string Key, long Size, DateTime LastModifiedUtc, string? ETag = null);

/// <summary>
/// What a store knows of one object: size, last write, ETag and the MD5 it stands for (when it is a plain
/// one), user metadata, content type and storage class (S3 only).
/// </summary>
public sealed record ObjectStat(long Size, DateTime LastModifiedUtc, string? ETag, string? Md5,
    IReadOnlyDictionary<string, string> Metadata, string? ContentType, string? StorageClass);

/// <summary>One level of a delimiter listing below a prefix: the "folders" (ending in '/') and the keys.</summary>
public sealed record ObjectLevel(IReadOnlyList<string> Prefixes, IReadOnlyList<string> Keys);

/// <summary>
/// A write never finished: an S3 multipart upload never completed nor aborted, or a folder's '.partial'
/// file. Key is the object it was to become; Location the text users see for it; UploadId on S3.
/// </summary>
public sealed record IncompleteWrite(string Key, DateTime StartedUtc, long? Size, string Location, string? UploadId);

/// <summary>How an object is written. Null fields: the store's default.</summary>
public sealed record WriteOptions
{
    public string? StorageClass { get; init; }
    public string ContentType { get; init; } = "application/octet-stream";
    /// <summary>User metadata (x-amz-meta-*; S3 only, see <see cref="StoreFeatures.Metadata"/>).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    /// <summary>Create only if nothing has the name (If-None-Match: * on S3, O_EXCL in a folder).</summary>
    public bool CreateOnly { get; init; }
    /// <summary>A hint of the whole size: part sizes on S3, the space named should a disk fill up.</summary>
    public long? ExpectedSize { get; init; }
    public ObjectLock? ObjectLock { get; init; }
    /// <summary>A folder's file gets this write time (a sync keeps the source's); S3 keeps it in Metadata.</summary>
    public DateTime? ModifiedUtc { get; init; }
    /// <summary>A folder's file is readable by its owner alone (plain secrets).</summary>
    public bool Private { get; init; }
    /// <summary>A folder's file is flushed to the device before its rename (a backup's); else only flushed.</summary>
    public bool Durable { get; init; }
}

/// <summary>What a backend can do beyond the common contract.</summary>
[Flags]
public enum StoreFeatures
{
    None = 0,
    /// <summary>CopyAsync between two locations of one endpoint and client.</summary>
    ServerSideCopy = 1,
    /// <summary>Object Lock retention on writes.</summary>
    ObjectLock = 2,
    /// <summary>User metadata kept with an object (a file keeps only its write time).</summary>
    Metadata = 4,
}

/// <summary>
/// A stream being written to a store. Nothing is visible under the final name until CompleteAsync
/// succeeds; AbortAsync (or disposing without completing) removes every trace.
/// </summary>
public interface IObjectWriter : IAsyncDisposable
{
    Stream Stream { get; }
    /// <summary>The bytes written so far.</summary>
    long BytesWritten { get; }
    /// <summary>
    /// Tells the writer the SHA-256 (lowercase hex) of everything written, before CompleteAsync: an S3 upload
    /// whose complete failed after the server may have applied it reads the object back to recognise it.
    /// </summary>
    void DeclareSha256(string sha256) { }
    Task CompleteAsync(CancellationToken cancellationToken);
    Task AbortAsync();
    /// <summary>A hint of the whole size, named in the error should the destination fill up.</summary>
    void ExpectSize(long bytes) { }
}

/// <summary>Refused a server-side copy as a request it does not understand (s3rver): the caller streams instead.</summary>
public sealed class CopyRefusedException : Exception
{
    public CopyRefusedException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The object to read does not exist (its backend's error inside).</summary>
public sealed class ObjectNotFoundException : IOException
{
    public ObjectNotFoundException(string location, Exception? inner = null) : base($"'{location}' does not exist.", inner) => Location = location;
    public string Location { get; }
}

/// <summary>A read of an object, with what the store knows of it.</summary>
public abstract class ObjectReadStream : Stream
{
    public abstract ObjectStat Stat { get; }
}

/// <summary>
/// The one abstraction over where ClutterDR stores objects: a folder or an S3 bucket prefix
/// (<see cref="FolderObjectStore"/>, <see cref="S3ObjectStore"/>). Keys are relative to the location and
/// '/'-separated. Every S3 request goes through <see cref="Retry"/>; errors are ClutterExceptions
/// (S3Errors.Map) except where a member says otherwise.
/// </summary>
public interface IObjectStore : IDisposable
{
    BackupLocation Location { get; }
    StoreFeatures Features { get; }
    /// <summary>How this store's requests are retried (and how a caller retries what broke off mid-stream).</summary>
    RetryPolicy Retry { get; }
    /// <summary>The location text users see for a key.</summary>
    string Describe(string key) => Location.Describe(key);

    /// <summary>
    /// Every object whose key starts with prefix, recursively, never this store's own incomplete writes.
    /// after / upTo (S3's key order, <see cref="Utf8Order"/>) bound the keys: after &lt; key &lt;= upTo;
    /// pageHint is how many keys the range expects (S3 asks for about that many first).
    /// A folder lists in no particular order, an S3 bucket in key order.
    /// </summary>
    IAsyncEnumerable<ObjectEntry> ListAsync(string prefix, CancellationToken cancellationToken, string? after = null, string? upTo = null, int? pageHint = null);

    /// <summary>One level below prefix (which ends in '/' or is empty): the first page of the "folders" and keys.</summary>
    Task<ObjectLevel> ListLevelAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>What the store knows of the object; null when it does not exist.</summary>
    Task<ObjectStat?> StatAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the object (from offset, length bytes; null: to the end). Retried until the answer starts.
    /// A missing object is <see cref="ObjectNotFoundException"/>.
    /// </summary>
    Task<ObjectReadStream> OpenReadAsync(string key, CancellationToken cancellationToken, long offset = 0, long? length = null);

    /// <summary>A writer for the object (see IObjectWriter). With CreateOnly, an existing key is BackupObjectExists.</summary>
    Task<IObjectWriter> CreateWriteAsync(string key, WriteOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a small object from a seekable stream (read again from its position on each attempt).
    /// False only with CreateOnly, when the key exists already (or is being written).
    /// </summary>
    Task<bool> PutAsync(string key, Stream content, WriteOptions options, CancellationToken cancellationToken);

    /// <summary>Whether CopyAsync can copy from that store server-side (the same endpoint and client).</summary>
    bool CanCopyFrom(IObjectStore source);

    /// <summary>A server-side copy (metadata kept). An endpoint that does not understand it throws CopyRefusedException.</summary>
    Task CopyAsync(IObjectStore source, string sourceKey, string key, WriteOptions options, CancellationToken cancellationToken);

    /// <summary>Whether CreateOnly is atomic here: a folder always; S3 when the endpoint honours If-None-Match (probed once).</summary>
    Task<bool> SupportsCreateOnlyAsync(CancellationToken cancellationToken);

    Task DeleteAsync(string key, CancellationToken cancellationToken);
    Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>The incomplete writes under prefix started before startedBeforeUtc, whoever started them.</summary>
    IAsyncEnumerable<IncompleteWrite> ListIncompleteWritesAsync(string prefix, DateTime startedBeforeUtc, CancellationToken cancellationToken);
    /// <summary>Aborts the upload or deletes the partial file; one gone meanwhile is no error.</summary>
    Task AbortIncompleteWriteAsync(IncompleteWrite write, CancellationToken cancellationToken);
}

/// <summary>Conveniences over every store.</summary>
public static class ObjectStoreExtensions
{
    public static Task<bool> PutAsync(this IObjectStore store, string key, byte[] content, WriteOptions options, CancellationToken cancellationToken) =>
        store.PutAsync(key, new MemoryStream(content, writable: false), options, cancellationToken);

    public static async Task<List<ObjectEntry>> ListAllAsync(this IObjectStore store, string prefix, CancellationToken cancellationToken)
    {
        var all = new List<ObjectEntry>();
        await foreach (var e in store.ListAsync(prefix, cancellationToken).ConfigureAwait(false)) all.Add(e);
        return all;
    }
}
