using ClutterDR.Catalog;

namespace ClutterDR.Storage;

/// <summary>An object in a repository; Key is relative to the repository's location.</summary>
public sealed record RepositoryEntry(string Key, long Size, DateTime LastModifiedUtc);

/// <summary>
/// A stream being written to a repository. Nothing is visible under the final name until
/// CompleteAsync succeeds; AbortAsync (or disposing without completing) removes every trace.
/// </summary>
public interface IObjectWriter : IAsyncDisposable
{
    Stream Stream { get; }
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

/// <summary>MultipartUpload (S3), PartialFile (a folder), Claim: the empty name claim of a backup that was killed (both).</summary>
public enum DebrisKind { MultipartUpload, PartialFile, Claim }

/// <summary>
/// What an interrupted write left: an S3 multipart upload never completed nor aborted, or a folder's
/// '.partial' file. Key is the object it was to become (relative to the location); Started is when the
/// upload was initiated (S3) or the file last written (folder); Size is what it holds, when known.
/// </summary>
public sealed record DebrisEntry(string Key, DebrisKind Kind, DateTime StartedUtc, long? Size, string Location, string? UploadId);

/// <summary>Where backups are stored: an S3-compatible bucket prefix or a local folder.</summary>
public interface IBackupRepository : IDisposable
{
    BackupLocation Location { get; }

    /// <summary>Fails with a clear error when the location cannot be written (bucket missing, folder read-only).</summary>
    Task EnsureWritableAsync(CancellationToken cancellationToken);

    /// <summary>Fails with a clear error when the location does not exist.</summary>
    Task EnsureReadableAsync(CancellationToken cancellationToken);

    Task<IObjectWriter> CreateAsync(string key, string? storageClass, CancellationToken cancellationToken);
    Task PutAsync(string key, byte[] content, string contentType, string? storageClass, CancellationToken cancellationToken);
    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);
    /// <summary>The whole content of a small object, or null when it does not exist.</summary>
    Task<byte[]?> TryReadAllAsync(string key, CancellationToken cancellationToken);
    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken);
    /// <summary>Every object whose key starts with keyPrefix, recursively, in no particular order.</summary>
    IAsyncEnumerable<RepositoryEntry> ListAsync(string keyPrefix, CancellationToken cancellationToken);
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every unfinished write under keyPrefix (multipart uploads, partial files) started before startedBeforeUtc, whoever started it.</summary>
    IAsyncEnumerable<DebrisEntry> ListDebrisAsync(string keyPrefix, DateTime startedBeforeUtc, CancellationToken cancellationToken);
    /// <summary>Aborts the upload or deletes the partial file.</summary>
    Task RemoveDebrisAsync(DebrisEntry debris, CancellationToken cancellationToken);
    /// <summary>
    /// Whether TryClaimAsync is atomic here: a folder always; an S3 endpoint when it honours
    /// PutObject If-None-Match (found out once per endpoint and bucket per process, see ConditionalWrites).
    /// </summary>
    Task<bool> CanClaimAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Creates the empty object 'key' only if nothing has that name, atomically across processes and hosts:
    /// true when this call created it, false when it was there already. Only when CanClaimAsync is true.
    /// </summary>
    Task<bool> TryClaimAsync(string key, CancellationToken cancellationToken);

    /// <summary>The location text users see for a key.</summary>
    string Describe(string key) => Location.Describe(key);
}
