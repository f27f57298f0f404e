using System.Runtime.CompilerServices;
using ClutterDR.Catalog;
using ClutterDR.Storage;

namespace ClutterDR.Repository;


/// <summary>
/// What an interrupted write left: an S3 multipart upload never completed nor aborted, or a folder's
/// '.partial' file. Key is the object it was to become (relative to the location); Started is when the
/// upload was initiated (S3) or the file last written (folder); Size is what it holds, when known.
/// </summary>
public sealed record DebrisEntry(string Key, DebrisKind Kind, DateTime StartedUtc, long? Size, string Location, string? UploadId);

/// <summary>
/// Where backups are stored, over one <see cref="IObjectStore"/> (a bucket prefix or a folder): what the
/// backup, restore, verify and catalog services need of it, with their errors: the location checked before
/// use, objects written durably and with the backup's Object Lock, name claims, and debris (incomplete
/// writes and claims that killed backups left).
/// </summary>
public sealed class BackupRepository : IDisposable
{
    private readonly IObjectStore _store;
    private readonly ObjectLock? _lock;

    /// <param name="objectLock">S3 Object Lock retention of every object written (null: none).</param>
    /// <summary>The repository at a location: a folder, or an S3 bucket prefix with these options.</summary>
    public static BackupRepository Open(BackupLocation location, S3Options s3, S3UploadOptions? upload = null) =>
        new(ObjectStores.Open(location, s3, upload), upload?.ObjectLock);

    public BackupRepository(IObjectStore store, ObjectLock? objectLock = null)
    {
        _store = store;
        _lock = objectLock;
    }

    public BackupLocation Location => _store.Location;
    public IObjectStore Store => _store;

    /// <summary>The location text users see for a key.</summary>
    public string Describe(string key) => _store.Describe(key);

    /// <summary>Fails with a clear error when the location cannot be written (bucket missing, folder read-only).</summary>
    public async Task EnsureWritableAsync(CancellationToken cancellationToken)
    {
        if (_store is S3ObjectStore s3)
        {
            await s3.ProbeAsync(true, cancellationToken).ConfigureAwait(false);
            if (_lock is not null && !await s3.ObjectLockEnabledAsync(cancellationToken).ConfigureAwait(false))
                throw new ClutterException(Errors.ObjectLockNotEnabled,
                    $"The bucket '{Location.Bucket}' does not have S3 Object Lock enabled, so -RetainUntil cannot protect a backup there. Back up to a bucket created with Object Lock (aws s3api create-bucket --object-lock-enabled-for-bucket), enable it on this versioned bucket (aws s3api put-object-lock-configuration), or leave out -RetainUntil. Nothing was written.",
                    Location.ToString());
            return;
        }
        if (File.Exists(Location.Path))
            throw new ClutterException(Errors.DestinationNotFolder,
                $"'{Location.Path}' is a file, not a folder. Give the folder to back up to, such as '{Path.GetDirectoryName(Location.Path)}'; a missing folder is created.",
                Location.Path);
        try
        {
            Directory.CreateDirectory(Location.Path);
            var probe = Path.Combine(Location.Path, $".clutterdr-write-test-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ClutterException(Errors.DestinationNotWritable,
                $"The destination folder '{Location.Path}' cannot be written: {e.Message} Choose a folder the current user can write to, or fix its permissions.",
                Location.Path, e);
        }
    }

    /// <summary>Fails with a clear error when the location does not exist.</summary>
    public async Task EnsureReadableAsync(CancellationToken cancellationToken)
    {
        if (_store is S3ObjectStore s3)
        {
            await s3.ProbeAsync(false, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (File.Exists(Location.Path))
            throw new ClutterException(Errors.LocationNotFolder,
                $"'{Location.Path}' is a file, not a folder. Give the folder that holds the backups (the -Destination they were made with); " +
                "to check or restore one backup file, use Test-ClutterBackup -Location or Restore-ClutterDatabase -Location.",
                Location.Path);
        if (!Directory.Exists(Location.Path))
            throw new ClutterException(Errors.LocationNotFound,
                $"The folder '{Location.Path}' does not exist. Check the path, or back up there first with Backup-ClutterDatabase.",
                Location.Path);
    }

    private WriteOptions OptionsFor(string? storageClass, string contentType, bool createOnly) =>
        new() { StorageClass = storageClass, ContentType = contentType, CreateOnly = createOnly, ObjectLock = _lock, Durable = true };

    /// <summary>A backup's data object: in a folder created only if absent (another backup in the same second).</summary>
    public Task<IObjectWriter> CreateAsync(string key, string? storageClass, CancellationToken cancellationToken) =>
        _store.CreateWriteAsync(key, OptionsFor(storageClass, "application/octet-stream", createOnly: !Location.IsS3), cancellationToken);

    public Task PutAsync(string key, byte[] content, string contentType, string? storageClass, CancellationToken cancellationToken) =>
        _store.PutAsync(key, content, OptionsFor(storageClass, contentType, createOnly: false), cancellationToken);

    /// <summary>Whether the object exists, or (in a folder) is being written.</summary>
    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) =>
        await _store.StatAsync(key, cancellationToken).ConfigureAwait(false) is not null
        || (_store is FolderObjectStore folder && folder.IsBeingWritten(key));

    /// <summary>The whole content of a small object, or null when it does not exist.</summary>
    public async Task<byte[]?> TryReadAllAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            // A small object: read whole inside the attempt, so a body cut off midway is read again.
            return await _store.Retry.ExecuteAsync(async ct =>
            {
                await using var stream = await _store.OpenReadAsync(key, ct).ConfigureAwait(false);
                using var ms = new MemoryStream();
                await stream.CopyToAsync(ms, ct).ConfigureAwait(false);
                return ms.ToArray();
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException e)
        {
            throw new ClutterException(Errors.BackupObjectNotFound,
                $"The backup {(Location.IsS3 ? "object" : "file")} '{Describe(key)}' does not exist. List the backups that do with Get-ClutterBackup.", Describe(key), e.InnerException);
        }
    }

    /// <summary>Every object whose key starts with keyPrefix, recursively, in no particular order.</summary>
    public IAsyncEnumerable<ObjectEntry> ListAsync(string keyPrefix, CancellationToken cancellationToken) => _store.ListAsync(keyPrefix, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => _store.DeleteAsync(key, cancellationToken);

    /// <summary>Every unfinished write under keyPrefix (multipart uploads, partial files) and name claim started before startedBeforeUtc, whoever started it.</summary>
    public async IAsyncEnumerable<DebrisEntry> ListDebrisAsync(string keyPrefix, DateTime startedBeforeUtc, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var kind = Location.IsS3 ? DebrisKind.MultipartUpload : DebrisKind.PartialFile;
        await foreach (var w in _store.ListIncompleteWritesAsync(keyPrefix, startedBeforeUtc, cancellationToken).ConfigureAwait(false))
            yield return new DebrisEntry(w.Key, kind, w.StartedUtc, w.Size, w.Location, w.UploadId);
        // The name claims of backups that were killed (a live backup's claim is younger than the cutoff).
        await foreach (var entry in _store.ListAsync(keyPrefix, cancellationToken).ConfigureAwait(false))
            if (entry.Key.EndsWith(BackupName.ClaimSuffix, StringComparison.Ordinal) && entry.LastModifiedUtc <= startedBeforeUtc)
                yield return new DebrisEntry(entry.Key[..^BackupName.ClaimSuffix.Length], DebrisKind.Claim, entry.LastModifiedUtc, entry.Size, Describe(entry.Key), null);
    }

    /// <summary>Aborts the upload, deletes the partial file or the claim.</summary>
    public async Task RemoveDebrisAsync(DebrisEntry debris, CancellationToken cancellationToken)
    {
        var expected = Location.IsS3 ? DebrisKind.MultipartUpload : DebrisKind.PartialFile;
        if (debris.Kind != DebrisKind.Claim && (debris.Kind != expected || (Location.IsS3 && debris.UploadId is null)))
            throw new ArgumentException(Location.IsS3 ? "A bucket holds only multipart uploads and claims." : "A folder holds only partial files and claims.", nameof(debris));
        try
        {
            if (debris.Kind == DebrisKind.Claim)
                await _store.DeleteAsync(debris.Key + BackupName.ClaimSuffix, cancellationToken).ConfigureAwait(false);
            else
                await _store.AbortIncompleteWriteAsync(new IncompleteWrite(debris.Key, debris.StartedUtc, debris.Size, debris.Location, debris.UploadId), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!Location.IsS3 && e is IOException or UnauthorizedAccessException)
        {
            throw new ClutterException(Errors.DebrisNotRemoved,
                $"The {(debris.Kind == DebrisKind.Claim ? "name claim" : "partial file")} '{debris.Location}' of an interrupted backup could not be removed: {e.Message} Remove it by hand, or fix the folder's permissions.", debris.Location, e);
        }
    }

    /// <summary>
    /// Whether TryClaimAsync is atomic here: a folder always; an S3 endpoint when it honours
    /// PutObject If-None-Match (found out once per endpoint and bucket per process, see ConditionalWrites).
    /// </summary>
    public Task<bool> CanClaimAsync(CancellationToken cancellationToken) => _store.SupportsCreateOnlyAsync(cancellationToken);

    /// <summary>
    /// Creates the empty object 'key' only if nothing has that name, atomically across processes and hosts:
    /// true when this call created it, false when it was there already. Only when CanClaimAsync is true.
    /// </summary>
    public Task<bool> TryClaimAsync(string key, CancellationToken cancellationToken) =>
        _store.PutAsync(key, Array.Empty<byte>(), new WriteOptions { CreateOnly = true }, cancellationToken);

    public void Dispose() => _store.Dispose();
}
