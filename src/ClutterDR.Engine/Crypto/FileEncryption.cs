using ClutterDR.Streams;

namespace ClutterDR.Crypto;

/// <summary>
/// Protect-/Unprotect-ClutterFile: any file to or from a gpg-compatible OpenPGP message, streamed (files
/// larger than memory), written to a temporary name beside the destination and renamed when complete,
/// so a failed run never leaves a half-written file that looks complete.
/// </summary>
public sealed class FileEncryption
{
    private const int BufferSize = 1 << 20;
    private readonly IEngineHost _sink;
    public FileEncryption(IEngineHost sink) => _sink = sink;

    /// <summary>The default name of an encrypted file: the source plus .gpg (.asc when armored).</summary>
    public static string ProtectedName(string source, bool armor) => source + (armor ? ".asc" : ".gpg");

    /// <summary>The default name of a decrypted file: the source without .gpg/.pgp/.asc; null when it has none.</summary>
    public static string? UnprotectedName(string source)
    {
        foreach (var ext in new[] { ".gpg", ".pgp", ".asc" })
            if (source.EndsWith(ext, StringComparison.OrdinalIgnoreCase) && source.Length > ext.Length) return source[..^ext.Length];
        return null;
    }

    public async Task<FileInfo> ProtectAsync(string source, string destination, EncryptionPlan plan, bool armor, bool force, CancellationToken cancellationToken)
    {
        using var input = OpenSource(source);
        var modified = File.GetLastWriteTimeUtc(source);
        return await WriteAtomicallyAsync(destination, force, $"Encrypting {source}", input.Length, async (output, progress) =>
        {
            // The stored format's chain without compression or hash: [armor] -> OpenPGP -> the file.
            await using var chain = StoredFormat.OpenPgpFile(plan).OpenWrite(output, Path.GetFileName(source), modified, armor, hash: false);
            await CopyAsync(input, chain.Input, progress, cancellationToken).ConfigureAwait(false);
            await chain.CompleteAsync().ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<FileInfo> UnprotectAsync(string source, string destination, DecryptionOptions decryption, bool force, CancellationToken cancellationToken)
    {
        using var input = OpenSource(source);
        Stream plain;
        try
        {
            plain = StoredFormat.OpenPgpFile(null).OpenRead(input, decryption, source, detectArmor: true);
        }
        catch (IOException e)
        {
            throw new ClutterException("NotEncrypted", FailureKind.InvalidData, $"'{source}' is not readable OpenPGP data: {e.Message}", source, e);
        }
        using (plain)
        {
            return await WriteAtomicallyAsync(destination, force, $"Decrypting {source}", input.Length,
                (output, progress) => CopyAsync(plain, output, _ => progress(input.Position), cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    private static FileStream OpenSource(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ClutterException("FileNotFound", FailureKind.ObjectNotFound, $"The file '{path}' does not exist.", path, e);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ClutterException("FileNotReadable", FailureKind.PermissionDenied, $"The file '{path}' cannot be read: {e.Message}", path, e);
        }
    }

    private async Task<FileInfo> WriteAtomicallyAsync(string destination, bool force, string activity, long total,
        Func<Stream, Action<long>, Task> write, CancellationToken cancellationToken)
    {
        if (File.Exists(destination) && !force)
            throw new ClutterException("DestinationExists", FailureKind.ResourceExists,
                $"'{destination}' already exists. Add -Force to overwrite it, or give another -Destination.", destination);
        if (Directory.Exists(destination))
            throw new ClutterException("DestinationExists", FailureKind.ResourceExists, $"'{destination}' is a folder.", destination);
        var folder = Path.GetDirectoryName(Path.GetFullPath(destination))!;
        if (!Directory.Exists(folder))
            throw new ClutterException("DestinationNotFound", FailureKind.ObjectNotFound, $"The folder '{folder}' does not exist. Create it first.", destination);
        var temp = Path.Combine(folder, "." + Path.GetFileName(destination) + "." + Guid.NewGuid().ToString("N")[..8] + ".partial");
        var progress = new ByteProgress(_sink, activity, total);
        FileStream output;
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = BufferSize };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // plain secrets stay private
            output = new FileStream(temp, options);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ClutterException("DestinationNotWritable", FailureKind.PermissionDenied, $"'{destination}' cannot be written: {e.Message}", destination, e);
        }
        try
        {
            try
            {
                // A failed write of the file (a full disk) is DestinationWriteFailed, told apart from a failed read of the source.
                var guarded = new DestinationWriteStream(output, destination, temp, () => total);
                await write(guarded, done => progress.Report(done)).ConfigureAwait(false);
                await guarded.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // On a full disk, closing fails again writing the buffered bytes; the file is closed all the same.
                try { await output.DisposeAsync().ConfigureAwait(false); } catch (IOException) { }
                throw;
            }
            await output.DisposeAsync().ConfigureAwait(false);
            File.Move(temp, destination, force);
            progress.Report(total);
            return new FileInfo(destination);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        finally
        {
            progress.Complete();
        }
    }

    private static async Task CopyAsync(Stream from, Stream to, Action<long> progress, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        long done = 0;
        int n;
        while ((n = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            done += n;
            progress(done);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
