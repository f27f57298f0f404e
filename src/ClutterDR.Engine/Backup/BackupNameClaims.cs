using ClutterDR.Catalog;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Backup;

/// <summary>The unique name of a new backup at one destination: claimed (-2, -3, ...) where names can be claimed, a random tail elsewhere.</summary>
internal sealed class BackupNameClaims
{
    private readonly IEngineHost _sink;
    public BackupNameClaims(IEngineHost sink) => _sink = sink;

    /// <summary>
    /// A name no other backup has, opened for writing, and the claim that holds it (null without claims).
    /// Where names can be claimed (a folder; an S3 endpoint that honours If-None-Match), the second's name or
    /// -2, -3, ...: the claim object is created only if absent, so two backups racing for one name cannot both
    /// get it, and it is removed once the manifest is written, so after claiming, a committed backup of that
    /// name is looked for as well. Elsewhere the name gets a random tail that a racing backup cannot pick too.
    /// </summary>
    public async Task<(BackupName, IObjectWriter, string?)> CreateUniqueAsync(BackupRepository repository, Task<bool> canClaim, string database, DateTime started, string extension, string? storageClass, CancellationToken cancellationToken)
    {
        var name = new BackupName(BackupName.SafeFolderName(database), started, 1, extension);
        if (!await canClaim.ConfigureAwait(false))
        {
            _sink.Verbose($"{repository.Location} does not honour conditional writes (PutObject If-None-Match), so a name cannot be reserved there: the backup's name gets a random tail instead, which another backup started in the same second cannot pick too.");
            for (var attempt = 0; attempt < 10; attempt++)
            {
                var candidate = name.WithTail(BackupName.RandomTail());
                if (await IsUsedAsync(repository, candidate, cancellationToken).ConfigureAwait(false)) continue;
                return (candidate, await repository.CreateAsync(candidate.Key, storageClass, cancellationToken).ConfigureAwait(false), null);
            }
        }
        else
        {
            for (var seq = 1; seq < 1000; seq++)
            {
                var candidate = name.WithSequence(seq);
                if (!await repository.TryClaimAsync(candidate.ClaimKey, cancellationToken).ConfigureAwait(false))
                {
                    _sink.Verbose($"{candidate.FileName} is being written by another backup; trying the next name.");
                    continue;
                }
                IObjectWriter? writer = null;
                try
                {
                    if (!await IsUsedAsync(repository, candidate, cancellationToken).ConfigureAwait(false))
                        writer = await repository.CreateAsync(candidate.Key, storageClass, cancellationToken).ConfigureAwait(false);
                }
                catch (ClutterException e) when (e.Is(Errors.BackupObjectExists))
                {
                }
                catch
                {
                    await ReleaseAsync(repository, candidate.ClaimKey).ConfigureAwait(false);
                    throw;
                }
                if (writer is not null) return (candidate, writer, candidate.ClaimKey);
                await ReleaseAsync(repository, candidate.ClaimKey).ConfigureAwait(false);
            }
        }
        throw new ClutterException(Errors.BackupNameTaken,
            $"Too many backups of '{database}' started in the same second at {repository.Location}.", repository.Location.ToString());
    }

    private static async Task<bool> IsUsedAsync(BackupRepository repository, BackupName name, CancellationToken cancellationToken) =>
        await repository.ExistsAsync(name.Key, cancellationToken).ConfigureAwait(false)
        || await repository.ExistsAsync(name.ManifestKey, cancellationToken).ConfigureAwait(false);

    /// <summary>Removes a claim; a claim left behind (the removal failed) only keeps its name from being used again.</summary>
    public async Task ReleaseAsync(BackupRepository repository, string? claimKey)
    {
        if (claimKey is null) return;
        try { await repository.DeleteAsync(claimKey, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception e) // never fails a committed backup, nor hides the failure of another
        {
            _sink.Verbose($"The name claim {repository.Describe(claimKey)} could not be removed ({e.Message}); it is an empty object that only keeps that name from being used again, and may be deleted.");
        }
    }
}
