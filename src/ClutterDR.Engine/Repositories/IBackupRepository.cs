using ClutterDR.Catalog;

namespace ClutterDR.Repositories;

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
}

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

    /// <summary>The location text users see for a key.</summary>
    string Describe(string key) => Location.Describe(key);
}
