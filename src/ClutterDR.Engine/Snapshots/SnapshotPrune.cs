using ClutterDR.Catalog;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Snapshots;

/// <summary>
/// -Prune of a snapshot location, mark and sweep: reads every remaining snapshot index (all of them, or the prune
/// stops before deleting anything: SnapshotPruneStopped), then deletes the blobs none of them references that were
/// last written before the debris age (<see cref="DebrisService.ConfiguredMinimumAge"/>, 24 h by default), so a
/// snapshot being written, whose index is not there yet, keeps its new blobs. One confirmation for the sweep.
/// </summary>
public static class SnapshotPrune
{
    /// <summary>Marks and sweeps; indexes in <paramref name="leaving"/> (removed, or to be removed under -WhatIf) do not count.</summary>
    public static async Task<StoragePruneResult?> RunAsync(IObjectStore store, IReadOnlySet<string> leaving, IEngineHost host, DateTime nowUtc, CancellationToken cancellationToken)
    {
        var minimumAge = DebrisService.ConfiguredMinimumAge();
        var root = store.Location.ToString();
        var remaining = (await SnapshotRepository.ListAsync(store, null, cancellationToken).ConfigureAwait(false))
            .Where(r => !leaving.Contains(r.Key)).ToList();
        if (remaining.Count == 0)
            throw new ClutterException(Errors.SnapshotNotFound,
                $"There is no snapshot under '{root}', so -Prune would delete every blob; nothing was swept. Give the location Backup-ClutterStorage -Destination wrote to.", root);

        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in remaining)
        {
            SnapshotIndex index;
            try
            {
                index = await SnapshotRepository.ReadAsync(store, r.Key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ClutterException or IOException or UnauthorizedAccessException)
            {
                var target = store.Describe(r.Key);
                throw new ClutterException(Errors.SnapshotPruneStopped,
                    $"The prune of '{root}' stopped and deleted nothing: the snapshot index '{target}' cannot be read ({e.Message.TrimEnd('.')}), so the blobs it references are not known. Repair it, or remove that snapshot with Remove-ClutterBackup (or delete the index once it is known to be lost), and run -Prune again.",
                    target, e);
            }
            foreach (var f in index.Files) referenced.Add(f.Sha256);
        }
        host.Verbose($"Marked {referenced.Count} blob{(referenced.Count == 1 ? "" : "s")} referenced by {remaining.Count} snapshot{(remaining.Count == 1 ? "" : "s")} under {root}.");

        var sweep = new List<ObjectEntry>();
        var young = 0;
        await foreach (var o in store.ListAsync(SnapshotIndex.BlobsPrefix, cancellationToken).ConfigureAwait(false))
        {
            var name = o.Key[(o.Key.LastIndexOf('/') + 1)..];
            if (!SnapshotIndex.IsSha256(name) || o.Key != SnapshotIndex.BlobKey(name) || referenced.Contains(name)) continue;
            if (nowUtc - o.LastModifiedUtc < minimumAge) young++;
            else sweep.Add(o);
        }
        var bytes = sweep.Sum(o => o.Size);
        var what = $"Delete {sweep.Count} blob{(sweep.Count == 1 ? "" : "s")} ({Format.Bytes(bytes)}) that no remaining snapshot references";
        var consent = sweep.Count == 0 ? Consent.Run : (await host.ConfirmAsync([new PlannedChange(what, store.Describe(SnapshotIndex.BlobsPrefix))]).ConfigureAwait(false))[0];
        if (consent == Consent.Decline) return null;
        if (consent == Consent.Run && sweep.Count > 0)
        {
            await store.DeleteAsync(sweep.Select(o => o.Key).ToList(), cancellationToken).ConfigureAwait(false);
        }
        host.Verbose($"{(consent == Consent.WhatIf ? "Would sweep" : "Swept")} {sweep.Count} blob{(sweep.Count == 1 ? "" : "s")} ({Format.Bytes(bytes)}) under {root}; kept {young} unreferenced blob{(young == 1 ? "" : "s")} younger than {Format.Duration(minimumAge)}.");
        return new StoragePruneResult
        {
            Location = root, Snapshots = remaining.Count, ReferencedBlobs = referenced.Count,
            SweptBlobs = sweep.Count, SweptBytes = bytes, YoungBlobsKept = young, WhatIf = consent == Consent.WhatIf,
        };
    }
}
