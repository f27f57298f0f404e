using System.Runtime.CompilerServices;
using ClutterDR.Catalog;
using ClutterDR.Streams;

namespace ClutterDR.Storage;

/// <summary>
/// Backups in a local or mounted folder. Data is written to '&lt;name&gt;.partial' and renamed when
/// complete, so a crashed backup never looks like a finished one. A failed write (a full disk) is
/// DestinationWriteFailed and leaves no partial file; a killed backup's partial file is debris
/// (<see cref="ListDebrisAsync"/>).
/// </summary>
public sealed class FileSystemRepository : IBackupRepository
{
    internal const string PartialSuffix = ".partial";
    private const int BufferSize = 1 << 20;

    public FileSystemRepository(BackupLocation location) => Location = location;

    public BackupLocation Location { get; }

    private string PathOf(string key) => Location.FullKey(key);

    public Task EnsureWritableAsync(CancellationToken cancellationToken)
    {
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
        return Task.CompletedTask;
    }

    public Task EnsureReadableAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Location.Path))
            throw new ClutterException(Errors.LocationNotFolder,
                $"'{Location.Path}' is a file, not a folder. Give the folder that holds the backups (the -Destination they were made with); " +
                "to check or restore one backup file, use Test-ClutterBackup -Location or Restore-ClutterDatabase -Location.",
                Location.Path);
        if (!Directory.Exists(Location.Path))
            throw new ClutterException(Errors.LocationNotFound,
                $"The folder '{Location.Path}' does not exist. Check the path, or back up there first with Backup-ClutterDatabase.",
                Location.Path);
        return Task.CompletedTask;
    }

    public Task<IObjectWriter> CreateAsync(string key, string? storageClass, CancellationToken cancellationToken)
    {
        var final = PathOf(key);
        var folder = Path.GetDirectoryName(final)!;
        var createdFolder = !Directory.Exists(folder);
        Directory.CreateDirectory(folder);
        var partial = final + PartialSuffix;
        if (File.Exists(final)) throw Exists(final);
        FileStream stream;
        try
        {
            stream = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous);
        }
        catch (IOException e) when (File.Exists(partial))
        {
            throw Exists(final, e); // another backup took this name first (same second)
        }
        return Task.FromResult<IObjectWriter>(new FileWriter(stream, partial, final, createdFolder ? folder : null));
    }

    public async Task PutAsync(string key, byte[] content, string contentType, string? storageClass, CancellationToken cancellationToken)
    {
        var final = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        var temp = final + PartialSuffix;
        try
        {
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                var guarded = new DestinationWriteStream(file, final, temp, () => content.Length);
                await guarded.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                guarded.FlushToDisk();
            }
            File.Move(temp, final, overwrite: false);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        var p = PathOf(key);
        return Task.FromResult(File.Exists(p) || File.Exists(p + PartialSuffix));
    }

    public async Task<byte[]?> TryReadAllAsync(string key, CancellationToken cancellationToken)
    {
        var p = PathOf(key);
        return File.Exists(p) ? await File.ReadAllBytesAsync(p, cancellationToken).ConfigureAwait(false) : null;
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var p = PathOf(key);
        if (!File.Exists(p))
            throw new ClutterException(Errors.BackupObjectNotFound,
                $"The backup file '{p}' does not exist. List the backups that do with Get-ClutterBackup.", p);
        return Task.FromResult<Stream>(new FileStream(p, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan));
    }

    public async IAsyncEnumerable<RepositoryEntry> ListAsync(string keyPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (!Directory.Exists(Location.Path)) yield break;
        var root = Location.Path;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 };
        foreach (var info in new DirectoryInfo(root).EnumerateFiles("*", options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = Path.GetRelativePath(root, info.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(keyPrefix, StringComparison.Ordinal))
                yield return new RepositoryEntry(key, info.Length, info.LastWriteTimeUtc);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        File.Delete(path);
        var folder = Path.GetDirectoryName(path)!;
        bool created;
        lock (_createdFolders) created = _createdFolders.Contains(folder);
        // The last file of a folder this repository created (a failed backup's claim): the folder goes too.
        if (created && !Directory.EnumerateFileSystemEntries(folder).Any())
        {
            try { Directory.Delete(folder); lock (_createdFolders) _createdFolders.Remove(folder); }
            catch (IOException) { /* something was written there meanwhile: it stays */ }
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The '.partial' files under keyPrefix: what a killed backup left (or what a running one is writing: its
    /// last write time is recent).
    /// </summary>
    public async IAsyncEnumerable<DebrisEntry> ListDebrisAsync(string keyPrefix, DateTime startedBeforeUtc, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in ListAsync(keyPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (entry.LastModifiedUtc > startedBeforeUtc) continue;
            if (entry.Key.EndsWith(PartialSuffix, StringComparison.Ordinal))
                yield return new DebrisEntry(entry.Key[..^PartialSuffix.Length], DebrisKind.PartialFile, entry.LastModifiedUtc, entry.Size, Location.Describe(entry.Key), null);
            else if (entry.Key.EndsWith(BackupName.ClaimSuffix, StringComparison.Ordinal))
                yield return new DebrisEntry(entry.Key[..^BackupName.ClaimSuffix.Length], DebrisKind.Claim, entry.LastModifiedUtc, entry.Size, Location.Describe(entry.Key), null);
        }
    }

    public Task RemoveDebrisAsync(DebrisEntry debris, CancellationToken cancellationToken)
    {
        if (debris.Kind == DebrisKind.MultipartUpload) throw new ArgumentException("A folder holds only partial files and claims.", nameof(debris));
        var path = PathOf(debris.Key) + (debris.Kind == DebrisKind.Claim ? BackupName.ClaimSuffix : PartialSuffix);
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClutterException(Errors.DebrisNotRemoved,
                $"The {(debris.Kind == DebrisKind.Claim ? "name claim" : "partial file")} '{path}' of an interrupted backup could not be removed: {e.Message} Remove it by hand, or fix the folder's permissions.", path, e);
        }
        return Task.CompletedTask;
    }

    public Task<bool> CanClaimAsync(CancellationToken cancellationToken) => Task.FromResult(true);

    // Database folders this repository created (for a claim): a failed backup that leaves one empty removes it.
    private readonly HashSet<string> _createdFolders = new(StringComparer.Ordinal);

    /// <summary>O_CREAT|O_EXCL (CREATE_NEW on Windows): atomic on local disks, NFS v3+ and SMB.</summary>
    public Task<bool> TryClaimAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder);
            lock (_createdFolders) _createdFolders.Add(folder);
        }
        try
        {
            using (new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1)) { }
            return Task.FromResult(true);
        }
        catch (IOException) when (File.Exists(path))
        {
            return Task.FromResult(false);
        }
    }

    public void Dispose() { }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static ClutterException Exists(string path, Exception? inner = null) =>
        new(Errors.BackupObjectExists, $"'{path}' already exists.", path, inner);

    private sealed class FileWriter : IObjectWriter
    {
        private readonly FileStream _file;
        private readonly DestinationWriteStream _stream;
        private readonly string _partial;
        private readonly string _final;
        private readonly string? _createdFolder;
        private long? _expectedSize;
        private bool _done;

        /// <param name="createdFolder">The database folder this backup created, removed again if the backup fails and leaves it empty.</param>
        public FileWriter(FileStream file, string partial, string final, string? createdFolder)
        {
            _file = file; _partial = partial; _final = final; _createdFolder = createdFolder;
            _stream = new DestinationWriteStream(file, final, partial, () => _expectedSize);
        }

        public Stream Stream => _stream;

        public void ExpectSize(long bytes) => _expectedSize = bytes;

        public async Task CompleteAsync(CancellationToken cancellationToken)
        {
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            _stream.FlushToDisk();
            await _file.DisposeAsync().ConfigureAwait(false);
            File.Move(_partial, _final, overwrite: false);
            _done = true;
        }

        public async Task AbortAsync()
        {
            if (_done) return;
            _done = true;
            // On a full disk, closing fails again writing the buffered bytes; the file is closed all the same.
            try { await _file.DisposeAsync().ConfigureAwait(false); } catch (IOException) { }
            TryDelete(_partial);
            if (_createdFolder is not null)
                try { Directory.Delete(_createdFolder); } catch (IOException) { } catch (UnauthorizedAccessException) { } // not empty: another backup's

        }

        public ValueTask DisposeAsync() => new(AbortAsync());
    }
}
