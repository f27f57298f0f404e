
namespace ClutterDR.Streams;

/// <summary>
/// The one way a failed write of a destination file (a full disk, a quota, an I/O error) becomes an error:
/// <c>DestinationWriteFailed</c> (a WriteError) naming the file, and for a full disk the free space the
/// filesystem has and the space the write needs.
/// </summary>
public static class DestinationWrite
{
    /// <summary>ENOSPC / EDQUOT (Linux 28/122, macOS 28/69), ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL (Windows 112/39).</summary>
    public static bool IsDiskFull(IOException e)
    {
        var code = e.HResult & 0xFFFF;
        if (OperatingSystem.IsWindows()) return code is 112 or 39;
        if (OperatingSystem.IsMacOS()) return code is 28 or 69;
        return code is 28 or 122 || e.Message.Contains("No space left on device", StringComparison.Ordinal);
    }

    /// <summary>Free bytes for the current user on the filesystem holding path; null when it cannot be told.</summary>
    public static long? FreeSpace(string path)
    {
        try
        {
            var dir = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path));
            return dir is null ? null : new DriveInfo(dir).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <param name="destination">The file the user asked for (not the temporary name it was written under).</param>
    /// <param name="tempFile">The temporary file being written, removed by the caller; its bytes count as free again.</param>
    /// <param name="needed">The whole size to be written, when known (a file's length, a backup's estimate).</param>
    public static ClutterException Failed(string destination, string tempFile, IOException e, long? needed)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(destination)) ?? destination;
        if (!IsDiskFull(e))
            return new ClutterException(Errors.DestinationWriteFailed,
                $"Writing '{destination}' failed: {e.Message}. Nothing was kept there; check the disk holding '{folder}' (its health, permissions, or that it is still mounted) and run again.",
                destination, e);
        long written = 0;
        try { if (File.Exists(tempFile)) written = new FileInfo(tempFile).Length; } catch (IOException) { } catch (UnauthorizedAccessException) { }
        var free = FreeSpace(folder);
        return new ClutterException(Errors.DestinationWriteFailed,
            $"The disk holding '{folder}' is full: writing '{destination}' stopped after {Format.Bytes(written)}. " +
            $"Nothing was kept; {(free is long f ? $"that filesystem now has {Format.Bytes(f + written)} free" : "its free space could not be read")}" +
            $"{(needed is long n and > 0 ? $" and this needs about {Format.Bytes(n)}" : "")}. Free space there (or raise the quota), or choose another destination.",
            destination, e);
    }
}

/// <summary>
/// A write-through wrapper of a destination file: any IOException of a write or flush becomes
/// <see cref="DestinationWrite.Failed"/>, so that a full disk is told apart from a failed read of the source.
/// </summary>
internal sealed class DestinationWriteStream : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly string _destination;
    private readonly string _tempFile;
    private readonly Func<long?> _needed;

    public DestinationWriteStream(Stream inner, string destination, string tempFile, Func<long?> needed)
    {
        _inner = inner; _destination = destination; _tempFile = tempFile; _needed = needed;
    }

    public override bool CanWrite => true;

    private ClutterException Map(IOException e) => DestinationWrite.Failed(_destination, _tempFile, e, _needed());

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try { _inner.Write(buffer); }
        catch (IOException e) { throw Map(e); }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try { await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false); }
        catch (IOException e) { throw Map(e); }
    }

    public override void Flush()
    {
        try { _inner.Flush(); }
        catch (IOException e) { throw Map(e); }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        try { await _inner.FlushAsync(cancellationToken).ConfigureAwait(false); }
        catch (IOException e) { throw Map(e); }
    }

    /// <summary>Flushes to the device (fsync) when the inner stream is a file.</summary>
    public void FlushToDisk()
    {
        try
        {
            if (_inner is FileStream f) f.Flush(flushToDisk: true);
            else _inner.Flush();
        }
        catch (IOException e) { throw Map(e); }
    }
}
