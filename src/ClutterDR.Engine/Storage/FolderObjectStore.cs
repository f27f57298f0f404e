using System.IO.Enumeration;
using System.Runtime.CompilerServices;
using ClutterDR.Catalog;

namespace ClutterDR.Storage;

/// <summary>How a folder store treats its folders.</summary>
/// <param name="PruneEmptyFolders">A delete removes the folders it left empty, up to the root (a sync's destination).</param>
/// <param name="FailOnInaccessible">A listing that meets an unreadable folder fails (a sync) instead of passing it by.</param>
public sealed record FolderStoreOptions(bool PruneEmptyFolders = false, bool FailOnInaccessible = false);

/// <summary>
/// Objects as files under a folder. Every write goes through one atomic scheme (<see cref="FolderObjectWriter"/>):
/// '&lt;name&gt;.partial' beside the final name, renamed when complete; so listings skip '.partial' files, and
/// those left by a killed process are the incomplete writes. Folders a write created and that a failed write or
/// a delete leaves empty are removed again.
/// </summary>
public sealed class FolderObjectStore : IObjectStore
{
    /// <summary>The name a file has while it is written.</summary>
    public const string PartialSuffix = ".partial";
    internal const int BufferSize = 1 << 20;

    private readonly FolderStoreOptions _options;
    private readonly HashSet<string> _createdFolders = new(StringComparer.Ordinal);

    public FolderObjectStore(BackupLocation location, FolderStoreOptions? options = null)
    {
        Location = location;
        Root = Path.TrimEndingDirectorySeparator(location.Path);
        _options = options ?? new FolderStoreOptions();
    }

    public BackupLocation Location { get; }
    public string Root { get; }
    public StoreFeatures Features => StoreFeatures.None;
    public RetryPolicy Retry { get; } = StorageRetry.Policy();

    public static bool IsPartialName(ReadOnlySpan<char> name) => name.EndsWith(PartialSuffix, StringComparison.Ordinal);

    /// <summary>The file path of a key, proven to lie under the root.</summary>
    public string PathOf(string key)
    {
        if (key.Length == 0) return Root;
        var full = Path.GetFullPath(Path.Combine(Root, key.Replace('/', Path.DirectorySeparatorChar)));
        var rootWithSep = Root.EndsWith(Path.DirectorySeparatorChar) ? Root : Root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSep, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            throw new ClutterException(Errors.UnsafeObjectKey,
                $"The key '{key}' would be written outside '{Root}'. It was skipped; rename the object to sync it.", key);
        return full;
    }

    /// <summary>Whether the root is a file rather than a folder, or missing.</summary>
    public bool RootIsFile => File.Exists(Root);
    public bool RootExists => Directory.Exists(Root);

    public async IAsyncEnumerable<ObjectEntry> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken, string? after = null, string? upTo = null, int? pageHint = null)
    {
        await foreach (var e in Enumerate(prefix, partials: false, cancellationToken).ConfigureAwait(false))
            if ((after is null || Utf8Order.Instance.Compare(e.Key, after) > 0) && (upTo is null || Utf8Order.Instance.Compare(e.Key, upTo) <= 0))
                yield return e;
    }

    /// <summary>The files under prefix: the finished ones, or (partials) only the '.partial' ones.</summary>
    private async IAsyncEnumerable<ObjectEntry> Enumerate(string prefix, bool partials, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (!Directory.Exists(Root)) yield break;
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = 0, // dot files are "hidden" on Unix; they are objects too
            IgnoreInaccessible = !_options.FailOnInaccessible,
            ReturnSpecialDirectories = false,
        };
        var rootLength = Root.Length + (Root.EndsWith(Path.DirectorySeparatorChar) ? 0 : 1);
        var enumerable = new FileSystemEnumerable<ObjectEntry>(Root, (ref FileSystemEntry e) =>
        {
            var key = e.ToFullPath().Substring(rootLength);
            if (Path.DirectorySeparatorChar != '/') key = key.Replace(Path.DirectorySeparatorChar, '/');
            return new ObjectEntry(key, e.Length, e.LastWriteTimeUtc.UtcDateTime);
        }, options)
        {
            ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory && IsPartialName(e.FileName) == partials,
        };
        using var files = enumerable.GetEnumerator();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (!files.MoveNext()) yield break;
            }
            catch (UnauthorizedAccessException e)
            {
                throw new ClutterException(Errors.FolderAccessDenied,
                    $"A folder under '{Root}' cannot be read: {e.Message} Grant read access or leave it out with -Exclude.", Root, e);
            }
            if (files.Current.Key.StartsWith(prefix, StringComparison.Ordinal)) yield return files.Current;
        }
    }

    public Task<ObjectLevel> ListLevelAsync(string prefix, CancellationToken cancellationToken)
    {
        var dir = PathOf(prefix.TrimEnd('/'));
        if (!Directory.Exists(dir)) return Task.FromResult(new ObjectLevel(Array.Empty<string>(), Array.Empty<string>()));
        var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true };
        var folders = Directory.EnumerateDirectories(dir, "*", options).Select(d => prefix + Path.GetFileName(d) + "/").Order(StringComparer.Ordinal).ToList();
        var keys = Directory.EnumerateFiles(dir, "*", options).Select(Path.GetFileName).Where(n => !IsPartialName(n))
            .Select(n => prefix + n).Order(StringComparer.Ordinal).ToList();
        return Task.FromResult(new ObjectLevel(folders, keys));
    }

    public Task<ObjectStat?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var info = new FileInfo(PathOf(key));
        return Task.FromResult(info.Exists ? StatOf(info) : null);
    }

    private static ObjectStat StatOf(FileInfo info) =>
        new(info.Length, info.LastWriteTimeUtc, null, null, new Dictionary<string, string>(), null, null);

    /// <summary>Whether a write of key is under way (or was killed): its '.partial' file exists.</summary>
    public bool IsBeingWritten(string key) => File.Exists(PathOf(key) + PartialSuffix);

    public Task<ObjectReadStream> OpenReadAsync(string key, CancellationToken cancellationToken, long offset = 0, long? length = null)
    {
        var path = PathOf(key);
        var info = new FileInfo(path);
        if (!info.Exists) throw new ObjectNotFoundException(path);
        // A small file gets a buffer of its size: many small files then cost no large buffer each.
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, (int)Math.Clamp(info.Length, 4096, BufferSize),
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (offset > 0) file.Seek(offset, SeekOrigin.Begin);
        return Task.FromResult<ObjectReadStream>(new FileReadStream(file, StatOf(info), length));
    }

    public Task<IObjectWriter> CreateWriteAsync(string key, WriteOptions options, CancellationToken cancellationToken) =>
        Task.FromResult<IObjectWriter>(FolderObjectWriter.Open(this, key, options));

    public async Task<bool> PutAsync(string key, Stream content, WriteOptions options, CancellationToken cancellationToken)
    {
        FolderObjectWriter writer;
        try
        {
            writer = FolderObjectWriter.Open(this, key, options);
        }
        catch (ClutterException e) when (options.CreateOnly && e.Is(Errors.BackupObjectExists))
        {
            return false;
        }
        await using (writer.ConfigureAwait(false))
        {
            await content.CopyToAsync(writer.Stream, cancellationToken).ConfigureAwait(false);
            try
            {
                await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ClutterException e) when (options.CreateOnly && e.Is(Errors.BackupObjectExists))
            {
                return false;
            }
        }
        return true;
    }

    public bool CanCopyFrom(IObjectStore source) => false;

    public Task CopyAsync(IObjectStore source, string sourceKey, string key, WriteOptions options, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A folder has no server-side copy.");

    public Task<bool> SupportsCreateOnlyAsync(CancellationToken cancellationToken) => Task.FromResult(true);

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        File.Delete(path);
        RemoveEmptyFolders(Path.GetDirectoryName(path)!);
        return Task.CompletedTask;
    }

    public async Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        foreach (var key in keys) await DeleteAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Notes a folder a write is about to create (it is removed again when a failure or delete leaves it empty).</summary>
    internal void EnsureFolder(string folder)
    {
        if (Directory.Exists(folder)) return;
        Directory.CreateDirectory(folder);
        lock (_createdFolders) _createdFolders.Add(folder);
    }

    /// <summary>After a delete or a failed write: the folder goes when it is empty and this store created it (or prunes).</summary>
    internal void RemoveEmptyFolders(string folder)
    {
        for (var dir = folder; dir is not null && dir.Length > Root.Length; dir = Path.GetDirectoryName(dir))
        {
            bool created;
            lock (_createdFolders) created = _createdFolders.Contains(dir);
            if (!created && !_options.PruneEmptyFolders) return;
            try
            {
                if (Directory.EnumerateFileSystemEntries(dir).Any()) return;
                Directory.Delete(dir);
                lock (_createdFolders) _createdFolders.Remove(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; } // written into meanwhile: it stays
            if (!_options.PruneEmptyFolders) return;
        }
    }

    /// <summary>The '.partial' files under prefix: what a killed write left (or what a running one is writing: its last write time is recent).</summary>
    public async IAsyncEnumerable<IncompleteWrite> ListIncompleteWritesAsync(string prefix, DateTime startedBeforeUtc, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in Enumerate(prefix, partials: true, cancellationToken).ConfigureAwait(false))
            if (e.LastModifiedUtc <= startedBeforeUtc)
                yield return new IncompleteWrite(e.Key[..^PartialSuffix.Length], e.LastModifiedUtc, e.Size, Describe(e.Key), null);
    }

    public Task AbortIncompleteWriteAsync(IncompleteWrite write, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(write.Key) + PartialSuffix);
        return Task.CompletedTask;
    }

    public string Describe(string key) => Location.Describe(key);

    public void Dispose() { }

    /// <summary>A file opened for reading, with what its listing knows; length bounds a ranged read. A whole file seeks (a PUT body sent again).</summary>
    private sealed class FileReadStream : ObjectReadStream
    {
        private readonly FileStream _file;
        private readonly bool _whole;
        private long _left;
        public FileReadStream(FileStream file, ObjectStat stat, long? length) { _file = file; Stat = stat; _whole = length is null; _left = length ?? long.MaxValue; }
        public override ObjectStat Stat { get; }
        public override bool CanRead => true;
        public override bool CanSeek => _whole;
        public override bool CanWrite => false;
        public override long Length => _whole ? _file.Length : Math.Min(_left, _file.Length - _file.Position);
        public override long Position
        {
            get => _whole ? _file.Position : throw new NotSupportedException();
            set => _file.Position = _whole ? value : throw new NotSupportedException();
        }
        public override void Flush() { }
        private int Cap(int count) => (int)Math.Min(count, _left);
        public override int Read(byte[] buffer, int offset, int count) => Count(_file.Read(buffer, offset, Cap(count)));
        public override int Read(Span<byte> buffer) => Count(_file.Read(buffer[..Cap(buffer.Length)]));
        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Count(await _file.ReadAsync(buffer.AsMemory(offset, Cap(count)), cancellationToken).ConfigureAwait(false));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await _file.ReadAsync(buffer[..Cap(buffer.Length)], cancellationToken).ConfigureAwait(false));
        private int Count(int n) { _left -= n; return n; }
        public override long Seek(long offset, SeekOrigin origin) => _whole ? _file.Seek(offset, origin) : throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) _file.Dispose();
            base.Dispose(disposing);
        }
        public override ValueTask DisposeAsync() => _file.DisposeAsync();
    }
}
