using ClutterDR.Streams;

namespace ClutterDR.Storage;

/// <summary>
/// The one atomic write of a file, used by backups, sync downloads and copies, and Protect-/Unprotect-ClutterFile:
/// the bytes go to '&lt;name&gt;.partial' beside the final name (created exclusively with CreateOnly, O_EXCL), are
/// locked against a second writer of the same name (FileShare.None: it is refused, and never truncates the file),
/// flushed (to the device with Durable), given their write time, and renamed; a CreateOnly rename never replaces a
/// file. A failed write (a full disk) is DestinationWriteFailed and leaves no partial file; only a killed process
/// leaves one, which is an incomplete write (<see cref="FolderObjectStore.ListIncompleteWritesAsync"/>).
/// </summary>
public sealed class FolderObjectWriter : IObjectWriter
{
    private readonly FolderObjectStore _store;
    private readonly FileStream _file;
    private readonly DestinationWriteStream _stream;
    private readonly WriteOptions _options;
    private readonly string _partial;
    private readonly string _final;
    private long? _expectedSize;
    private bool _done;

    private FolderObjectWriter(FolderObjectStore store, FileStream file, string partial, string final, WriteOptions options)
    {
        _store = store; _file = file; _partial = partial; _final = final; _options = options;
        _expectedSize = options.ExpectedSize;
        _stream = new DestinationWriteStream(file, final, partial, () => _expectedSize);
    }

    internal static FolderObjectWriter Open(FolderObjectStore store, string key, WriteOptions options)
    {
        var final = store.PathOf(key);
        store.EnsureFolder(Path.GetDirectoryName(final)!);
        var partial = final + FolderObjectStore.PartialSuffix;
        if (options.CreateOnly && File.Exists(final)) throw Exists(final);
        var size = options.ExpectedSize is long n ? (int)Math.Clamp(n, 4096, FolderObjectStore.BufferSize) : FolderObjectStore.BufferSize;
        var fileOptions = new FileStreamOptions
        {
            Mode = options.CreateOnly ? FileMode.CreateNew : FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = size,
            Options = FileOptions.Asynchronous,
        };
        if (options.Private && !OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            return new FolderObjectWriter(store, new FileStream(partial, fileOptions), partial, final, options) ;
        }
        catch (IOException e) when (options.CreateOnly && (File.Exists(partial) || File.Exists(final)))
        {
            throw Exists(final, e); // another writer took this name first (its partial file may already be renamed)
        }
        catch
        {
            store.RemoveEmptyFolders(Path.GetDirectoryName(final)!);
            throw;
        }
    }

    public Stream Stream => _stream;
    public long BytesWritten => _file.Position;

    public void ExpectSize(long bytes) => _expectedSize = bytes;

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_done) throw new InvalidOperationException("The write has already finished.");
        try
        {
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (_options.Durable) _stream.FlushToDisk();
            await _file.DisposeAsync().ConfigureAwait(false);
            if (_options.ModifiedUtc is DateTime modified) File.SetLastWriteTimeUtc(_partial, modified);
            try
            {
                File.Move(_partial, _final, overwrite: !_options.CreateOnly);
            }
            catch (IOException e) when (_options.CreateOnly && File.Exists(_final))
            {
                throw Exists(_final, e);
            }
            _done = true;
        }
        catch
        {
            await AbortAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task AbortAsync()
    {
        if (_done) return;
        _done = true;
        // On a full disk, closing fails again writing the buffered bytes; the file is closed all the same.
        try { await _file.DisposeAsync().ConfigureAwait(false); } catch (IOException) { }
        try { File.Delete(_partial); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _store.RemoveEmptyFolders(Path.GetDirectoryName(_final)!);
    }

    public ValueTask DisposeAsync() => new(AbortAsync());

    internal static ClutterException Exists(string path, Exception? inner = null) =>
        new(Errors.BackupObjectExists, $"'{path}' already exists.", path, inner);
}
