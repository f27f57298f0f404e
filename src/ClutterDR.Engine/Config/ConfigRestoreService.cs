using System.Formats.Tar;
using ClutterDR.Catalog;
using ClutterDR.Repository;
using ClutterDR.Streams;

namespace ClutterDR.Config;

/// <summary>
/// Restore-ClutterConfiguration: a configuration backup's tar read back through the stored format and written as files
/// into a folder (env.json, uri-N.json, repo-N.bundle, files/...; secret entries owner-only); it never sets a variable.
/// Every entry is checked to stay inside the folder, and, unless Force, that no file of the backup exists there,
/// before anything is written; the stored bytes' size and SHA-256 are checked against the manifest at the end.
/// </summary>
public sealed class ConfigRestoreService
{
    private readonly IEngineHost _host;
    public ConfigRestoreService(IEngineHost host) => _host = host;

    /// <summary>The full paths of the files written.</summary>
    public async Task<List<string>> RunAsync(ConfigRestoreRequest request, CancellationToken cancellationToken)
    {
        var (parent, objectName) = request.Backup.SplitBackup();
        using var repository = BackupRepository.Open(parent, request.S3);
        var manifest = await BackupCatalog.ReadManifestAsync(repository, objectName + BackupName.ManifestSuffix, cancellationToken).ConfigureAwait(false);
        var text = repository.Describe(objectName);
        if (manifest.Kind != "config")
            throw new ClutterException(Errors.NotConfigBackup,
                $"'{text}' is a database backup (of {manifest.Database}), not a configuration backup: restore it with Restore-ClutterDatabase; Get-ClutterBackup -Kind Config lists configuration backups.", text);
        var destination = Path.GetFullPath(request.Destination);
        foreach (var entry in manifest.Contents ?? new List<string>())
        {
            var path = Inside(destination, entry, text);
            if (!request.Force && File.Exists(path))
                throw new ClutterException(Errors.ConfigFileExists,
                    $"'{path}' exists; nothing was written. Restore '{text}' into an empty folder, or add -Force to overwrite.", path);
        }
        Directory.CreateDirectory(destination);

        var written = new List<string>();
        await using var reader = await BackupReader.OpenAsync(repository, objectName, manifest, request.Decryption, text, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var tar = new TarReader(reader.Plain, leaveOpen: true);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                var path = Inside(destination, entry.Name, text);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await entry.ExtractToFileAsync(path, overwrite: request.Force, cancellationToken).ConfigureAwait(false);
                written.Add(path);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException || StoredFormat.IsDataError(e))
        {
            var fault = await reader.ExplainAsync(e, cancellationToken).ConfigureAwait(false);
            throw fault.Is(Errors.ChecksumMismatch) || fault.Is(Errors.BackupTruncated) ? fault
                : new ClutterException(Errors.ConfigBackupDamaged, $"The tar of '{text}' is damaged ({e.Message}); {written.Count} file(s) were written before it. Use another configuration backup.", text, e);
        }
        if (await reader.FinishAsync(null, cancellationToken).ConfigureAwait(false) is { } mismatch) throw mismatch;
        _host.Verbose($"Restored {written.Count} file{(written.Count == 1 ? "" : "s")} of '{text}' into {destination}; no environment variable was set.");
        return written;
    }

    /// <summary>The entry's path under the folder; an entry that would leave it (absolute, ..) means a damaged or hostile backup.</summary>
    private static string Inside(string destination, string entry, string backupText)
    {
        var path = Path.GetFullPath(Path.Combine(destination, entry));
        var root = destination.EndsWith(Path.DirectorySeparatorChar) ? destination : destination + Path.DirectorySeparatorChar;
        if (Path.IsPathRooted(entry) || !path.StartsWith(root, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            throw new ClutterException(Errors.ConfigBackupDamaged, $"The entry '{entry}' of '{backupText}' would be written outside {destination}; nothing was written from it.", backupText);
        return path;
    }
}
