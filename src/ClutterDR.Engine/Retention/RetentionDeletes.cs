using ClutterDR.Catalog;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Retention;

/// <summary>
/// How retention deletes: a backup's manifest first (from then on it no longer lists as complete), then its data
/// object, then its sidecars (name claim, pin); and the orphans, data objects without a manifest older than the
/// debris age, which a killed backup left. Every failure is a BackupNotRemoved (or the store's own error).
/// </summary>
public static class RetentionDeletes
{
    /// <summary>Removes one backup: manifest, data object, claim and pin, in that order.</summary>
    public static async Task RemoveBackupAsync(BackupRepository repository, string manifestKey, string dataKey, CancellationToken cancellationToken)
    {
        await DeleteAsync(repository, manifestKey, "its manifest could not be deleted, so the backup is still complete and listed", cancellationToken).ConfigureAwait(false);
        await DeleteAsync(repository, dataKey, "its manifest was deleted (it no longer lists as a backup) but its data object could not be: Remove-ClutterBackup -IncludeOrphans removes it once it is 24 hours old", cancellationToken).ConfigureAwait(false);
        await DeleteSidecarsAsync(repository, dataKey, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Data objects without a manifest (of the databases asked for, or all) last written before the debris age
    /// (<see cref="DebrisService.ConfiguredMinimumAge"/>, 24 h by default): confirmed one by one, removed, reported.
    /// </summary>
    public static async Task RemoveOrphansAsync(BackupRepository repository, IReadOnlyList<string>? databases, IEngineHost host, DateTime nowUtc, CancellationToken cancellationToken)
    {
        var minimumAge = DebrisService.ConfiguredMinimumAge();
        var prefixes = databases is { Count: > 0 } ? databases.Select(d => BackupName.SafeFolderName(d) + "/").Distinct(StringComparer.Ordinal).ToList() : [""];
        foreach (var prefix in prefixes)
        {
            var entries = await repository.Store.ListAllAsync(prefix, cancellationToken).ConfigureAwait(false);
            var keys = entries.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
            var orphans = entries.Where(e => IsDataObject(e.Key) && !keys.Contains(e.Key + BackupName.ManifestSuffix) && nowUtc - e.LastModifiedUtc >= minimumAge)
                .OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
            host.Verbose($"Found {orphans.Count} data object{(orphans.Count == 1 ? "" : "s")} without a manifest older than {Format.Duration(minimumAge)} under {repository.Describe(prefix)}.");
            foreach (var orphan in orphans)
            {
                var location = repository.Describe(orphan.Key);
                var reason = $"orphan: no manifest, last written {orphan.LastModifiedUtc:yyyy-MM-dd HH:mm:ss}Z";
                var consent = (await host.ConfirmAsync([new PlannedChange($"Remove the data object without a manifest ({reason})", location)]).ConfigureAwait(false))[0];
                if (consent == Consent.Decline) continue;
                if (consent == Consent.Run)
                {
                    try
                    {
                        await DeleteAsync(repository, orphan.Key, "it stays where it is", cancellationToken).ConfigureAwait(false);
                        await DeleteSidecarsAsync(repository, orphan.Key, cancellationToken).ConfigureAwait(false);
                    }
                    catch (ClutterException e) when (!e.Terminating)
                    {
                        await host.ProblemAsync(e).ConfigureAwait(false);
                        continue;
                    }
                    host.Verbose($"Removed the data object without a manifest {location}.");
                }
                await host.ItemAsync(new RetentionDecision
                {
                    Action = consent == Consent.Run ? RetentionAction.Removed : RetentionAction.WouldRemove,
                    Database = orphan.Key[..orphan.Key.IndexOf('/')],
                    CreatedUtc = DateTime.SpecifyKind(orphan.LastModifiedUtc, DateTimeKind.Utc),
                    Reasons = [reason],
                    Location = location,
                    Orphan = true,
                }).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A backup's data object (not a manifest, claim, pin or -IncludeRoles roles object) in its database folder: &lt;db&gt;/&lt;db&gt;_&lt;time&gt;.&lt;ext&gt;.</summary>
    internal static bool IsDataObject(string key)
    {
        if (key.EndsWith(BackupName.ManifestSuffix, StringComparison.Ordinal) || key.EndsWith(ManifestRoles.Suffix, StringComparison.Ordinal)) return false;
        var segments = key.Split('/');
        return segments.Length == 2 && BackupName.TryParse(segments[1]) is { } name && name.DatabaseFolder == segments[0];
    }

    private static async Task DeleteSidecarsAsync(BackupRepository repository, string dataKey, CancellationToken cancellationToken)
    {
        foreach (var sidecar in new[] { dataKey + BackupName.ClaimSuffix, dataKey + BackupName.PinnedSuffix, dataKey + ManifestRoles.Suffix })
            await DeleteAsync(repository, sidecar, "the backup itself is gone", cancellationToken).ConfigureAwait(false);
    }

    private static async Task DeleteAsync(BackupRepository repository, string key, string consequence, CancellationToken cancellationToken)
    {
        try
        {
            await repository.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException or ObjectNotFoundException)
        {
            // Gone already (a folder pruned once it was empty): nothing to delete.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException || (e is ClutterException c && !c.Terminating))
        {
            var where = repository.Describe(key);
            throw new ClutterException(Errors.BackupNotRemoved,
                $"'{where}' could not be deleted ({e.Message.TrimEnd('.')}); {consequence}. Fix the {(repository.Location.IsS3 ? "S3 policy (s3:DeleteObject)" : "folder's permissions")} and run Remove-ClutterBackup again.",
                where, e);
        }
    }
}
