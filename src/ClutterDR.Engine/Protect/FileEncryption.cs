using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Protect;

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
            throw new ClutterException(Errors.NotEncrypted, $"'{source}' is not readable OpenPGP data: {e.Message}", source, e);
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
            throw new ClutterException(Errors.FileNotFound, $"The file '{path}' does not exist.", path, e);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ClutterException(Errors.FileNotReadable, $"The file '{path}' cannot be read: {e.Message}", path, e);
        }
    }

    private async Task<FileInfo> WriteAtomicallyAsync(string destination, bool force, string activity, long total,
        Func<Stream, Action<long>, Task> write, CancellationToken cancellationToken)
    {
        if (File.Exists(destination) && !force)
            throw new ClutterException(Errors.DestinationExists,
                $"'{destination}' already exists. Add -Force to overwrite it, or give another -Destination.", destination);
        if (Directory.Exists(destination))
            throw new ClutterException(Errors.DestinationExists, $"'{destination}' is a folder.", destination);
        var folder = Path.GetDirectoryName(Path.GetFullPath(destination))!;
        if (!Directory.Exists(folder))
            throw new ClutterException(Errors.DestinationNotFound, $"The folder '{folder}' does not exist. Create it first.", destination);
        var progress = new ByteProgress(_sink, activity, total);
        // The one atomic write of a file (the folder store's): a temporary name beside it, renamed when complete.
        using var store = new FolderObjectStore(BackupLocation.ForFolder(folder));
        IObjectWriter writer;
        try
        {
            writer = await store.CreateWriteAsync(Path.GetFileName(destination), new WriteOptions { ExpectedSize = total, Private = true }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            progress.Complete();
            throw new ClutterException(Errors.DestinationNotWritable, $"'{destination}' cannot be written: {e.Message}", destination, e);
        }
        try
        {
            await using (writer.ConfigureAwait(false))
            {
                // A failed write of the file (a full disk) is DestinationWriteFailed, told apart from a failed read of the source.
                await write(writer.Stream, done => progress.Report(done)).ConfigureAwait(false);
                await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            progress.Report(total);
            return new FileInfo(destination);
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
}
