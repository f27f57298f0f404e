using System.Text;
using ClutterDR.Catalog;
using ClutterDR.Storage;

namespace ClutterDR.Recovery;

/// <summary>
/// Writes an incident report's markdown to a file through the folder store's one atomic write (a temporary name
/// beside the file, renamed when complete): a reader never sees half a report. Without force an existing file is
/// refused (IncidentReportExists), also one that appears meanwhile (the rename never replaces it).
/// </summary>
public static class IncidentReportWriter
{
    /// <summary>Whether the report may be written there: refuses a folder, and an existing file without force.</summary>
    public static void EnsureWritable(string path, bool force)
    {
        if (Directory.Exists(path))
            throw new ClutterException(Errors.IncidentReportExists, $"'{path}' is a folder. Give the report's file name, such as '{Path.Combine(path, "incident.md")}'.", path);
        if (File.Exists(path) && !force)
            throw new ClutterException(Errors.IncidentReportExists, $"'{path}' already exists; nothing was written. Add -Force to replace it, or give another -Path.", path);
    }

    public static async Task<FileInfo> WriteAsync(string path, string markdown, bool force, CancellationToken cancellationToken)
    {
        EnsureWritable(path, force);
        var full = Path.GetFullPath(path);
        using var store = new FolderObjectStore(BackupLocation.ForFolder(Path.GetDirectoryName(full)!));
        try
        {
            var writer = await store.CreateWriteAsync(Path.GetFileName(full), new WriteOptions { CreateOnly = !force, ContentType = "text/markdown" }, cancellationToken).ConfigureAwait(false);
            await using (writer.ConfigureAwait(false))
            {
                await writer.Stream.WriteAsync(new UTF8Encoding(false).GetBytes(markdown), cancellationToken).ConfigureAwait(false);
                await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ClutterException e) when (e.Is(Errors.BackupObjectExists))
        {
            throw new ClutterException(Errors.IncidentReportExists, $"'{path}' was created meanwhile by someone else; nothing was written. Add -Force to replace it, or give another -Path.", path, e);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ClutterException(Errors.DestinationNotWritable, $"The incident report '{path}' cannot be written: {e.Message} Choose a folder the current user can write to.", path, e);
        }
        return new FileInfo(full);
    }
}
