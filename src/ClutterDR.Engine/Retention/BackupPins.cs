using System.Text.Json;
using ClutterDR.Catalog;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Retention;

/// <summary>
/// Set-ClutterBackup -Pinned: a pinned backup has the small sidecar object <c>&lt;data object&gt;.pinned</c> beside it
/// (the manifest is never rewritten: it may be under Object Lock, and it is the backup's commit marker).
/// The catalog listing sees the sidecar in the listing it does anyway (<see cref="BackupInfo.Pinned"/>).
/// </summary>
public static class BackupPins
{
    /// <summary>Pins or unpins one backup (its data object or manifest), after the host confirms; the backup as it is then, or null when not confirmed.</summary>
    public static async Task<BackupInfo?> SetAsync(BackupLocation backup, S3Options s3, bool pinned, IEngineHost host, CancellationToken cancellationToken)
    {
        var (parent, dataObject) = backup.SplitBackup();
        var name = BackupName.TryParse(dataObject)
            ?? throw new ClutterException(Errors.InvalidLocation, $"'{backup}' is not a ClutterDR backup name (<database>_<yyyyMMddTHHmmssZ>.<ext>). Pipe backups from Get-ClutterBackup.", backup.ToString());
        using var repository = BackupRepository.Open(parent, s3);
        var manifestKey = dataObject + BackupName.ManifestSuffix;
        var manifest = await BackupCatalog.ReadManifestAsync(repository, manifestKey, cancellationToken).ConfigureAwait(false);
        var info = BackupCatalog.ToInfo(manifest, repository, name, s3, manifestKey);
        var pinKey = dataObject + BackupName.PinnedSuffix;
        var action = pinned ? "Pin the backup (retention keeps it until it is unpinned)" : "Unpin the backup (retention may remove it)";
        if ((await host.ConfirmAsync([new PlannedChange(action, info.Location)]).ConfigureAwait(false))[0] != Consent.Run) return null;
        if (pinned)
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(new { pinnedUtc = DateTime.UtcNow });
            await repository.PutAsync(pinKey, body, "application/json", null, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            try
            {
                await repository.DeleteAsync(pinKey, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ClutterException(Errors.BackupNotRemoved,
                    $"The pin '{repository.Describe(pinKey)}' could not be deleted ({e.Message.TrimEnd('.')}); the backup stays pinned. Fix the folder's permissions and run Set-ClutterBackup -Pinned $false again.",
                    repository.Describe(pinKey), e);
            }
        }
        host.Verbose($"{(pinned ? "Pinned" : "Unpinned")} the backup {info.Location}.");
        info.Pinned = pinned;
        return info;
    }
}
