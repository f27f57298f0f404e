using ClutterDR.Catalog;
using ClutterDR.Storage;

namespace ClutterDR.Snapshots;

/// <summary>What Remove-ClutterBackup -Kind StorageSnapshot asked for: a policy over the snapshots of a location (each name on its own), and -Prune.</summary>
public sealed record SnapshotRetentionRequest
{
    /// <summary>The snapshot location (holding snapshots/ and blobs/).</summary>
    public required BackupLocation Location { get; init; }
    public S3Options S3 { get; init; } = new();
    /// <summary>The rules; a policy that keeps nothing is refused unless Prune is asked alone (then no snapshot is removed).</summary>
    public required RetentionPolicy Policy { get; init; }
    public bool Prune { get; init; }
    /// <summary>Also report the kept snapshots with their reasons (-PassThru, -WhatIf).</summary>
    public bool ReportKept { get; init; }
}

/// <summary>
/// Retention of storage snapshots: the same <see cref="RetentionPolicy"/> as database backups, per snapshot name,
/// with the floor that applies to snapshots (the newest of each name stays), or exactly the piped snapshots; removing
/// a snapshot deletes its index object only, and <see cref="SnapshotPrune"/> then frees the blobs nothing references.
/// Writes a <see cref="RetentionDecision"/> per snapshot (Database is the snapshot's name) and a
/// <see cref="StoragePruneResult"/> per prune. One instance serves one cmdlet call.
/// </summary>
public sealed class SnapshotRetentionService
{
    private readonly IEngineHost _host;
    private readonly Func<DateTime> _now;
    private readonly Dictionary<string, List<SnapshotRef>> _listings = new(StringComparer.Ordinal);
    /// <summary>Per root seen (piped): the indexes removed, or to be removed under -WhatIf.</summary>
    private readonly Dictionary<string, (BackupLocation Root, S3Options S3, HashSet<string> Leaving)> _roots = new(StringComparer.Ordinal);

    public SnapshotRetentionService(IEngineHost host, Func<DateTime>? nowUtc = null)
    {
        _host = host;
        _now = nowUtc ?? (() => DateTime.UtcNow);
    }

    public async Task ApplyPolicyAsync(SnapshotRetentionRequest request, CancellationToken cancellationToken)
    {
        var pruneOnly = request.Prune && request.Policy.KeepsNothing;
        if (request.Policy.KeepsNothing && !pruneOnly)
            throw new ClutterException(Errors.RetentionKeepsNothing,
                $"The retention policy for '{request.Location}' keeps no snapshot: give at least one of -KeepLast, -KeepDaily, -KeepWeekly, -KeepMonthly, -KeepYearly or -KeepWithin (above zero), such as -KeepDaily 30 -KeepMonthly 12, or -Prune alone to only free unreferenced blobs. Nothing was removed.",
                request.Location.ToString());
        using var store = ObjectStores.Open(request.Location, request.S3);
        var all = await ListOrRefuseAsync(store, cancellationToken).ConfigureAwait(false);
        var leaving = new HashSet<string>(StringComparer.Ordinal);
        if (!pruneOnly)
        {
            var now = _now();
            _host.Verbose($"Applying the retention policy ({request.Policy}) to {all.Count} snapshot{(all.Count == 1 ? "" : "s")} under {request.Location}.");
            foreach (var group in all.GroupBy(r => r.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
                await CarryOutAsync(store, request.Policy.Decide(group.Select(Candidate), now), request.Policy, request.ReportKept, leaving, cancellationToken).ConfigureAwait(false);
        }
        if (request.Prune) await PruneAsync(store, leaving, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One piped snapshot (its index location): removed unless it is the newest of its name (a BackupProtected problem).</summary>
    public async Task RemoveAsync(BackupLocation snapshot, S3Options s3, bool reportKept, CancellationToken cancellationToken)
    {
        var (root, indexKey) = SnapshotRepository.Split(snapshot);
        if (indexKey is null || SnapshotIndex.ParseKey(indexKey) is not { } parsed)
            throw new ClutterException(Errors.SnapshotNotFound, $"'{snapshot}' is not a snapshot index. Pipe snapshots from Get-ClutterStorageSnapshot.", snapshot.ToString());
        using var store = ObjectStores.Open(root, s3);
        var rootKey = $"{s3.EndpointUrl}|{store.Describe("")}";
        if (!_roots.TryGetValue(rootKey, out var seen)) _roots[rootKey] = seen = (root, s3, new HashSet<string>(StringComparer.Ordinal));
        var cacheKey = rootKey + "|" + parsed.Name;
        if (!_listings.TryGetValue(cacheKey, out var listed))
            _listings[cacheKey] = listed = await SnapshotRepository.ListAsync(store, parsed.Name, cancellationToken).ConfigureAwait(false);
        var verdicts = new RetentionPolicy().Decide(listed.Where(r => !seen.Leaving.Contains(r.Key)).Select(Candidate), _now());
        var verdict = verdicts.FirstOrDefault(v => v.Candidate.Id == indexKey)
            ?? throw new ClutterException(Errors.SnapshotNotFound, $"The snapshot '{store.Describe(indexKey)}' does not exist (removed meanwhile?). List the snapshots with Get-ClutterStorageSnapshot.", store.Describe(indexKey));
        if (verdict.Keep)
        {
            await _host.ProblemAsync(new ClutterException(Errors.BackupProtected,
                $"The snapshot '{store.Describe(indexKey)}' was not removed: it is the newest snapshot named '{parsed.Name}'. Take a newer snapshot with Backup-ClutterStorage first.",
                store.Describe(indexKey))).ConfigureAwait(false);
            if (reportKept) await _host.ItemAsync(Decision(store, verdict, RetentionAction.Kept)).ConfigureAwait(false);
            return;
        }
        await CarryOutAsync(store, [verdict], null, reportKept, seen.Leaving, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>After piped snapshots: -Prune of every location they came from.</summary>
    public async Task PruneSeenAsync(CancellationToken cancellationToken)
    {
        foreach (var (root, s3, leaving) in _roots.Values)
        {
            using var store = ObjectStores.Open(root, s3);
            await PruneAsync(store, leaving, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PruneAsync(IObjectStore store, HashSet<string> leaving, CancellationToken cancellationToken)
    {
        if (await SnapshotPrune.RunAsync(store, leaving, _host, _now(), cancellationToken).ConfigureAwait(false) is { } result)
            await _host.ItemAsync(result).ConfigureAwait(false);
    }

    /// <summary>The snapshots of a location; a location with neither snapshots/ nor blobs/ is refused (not a snapshot location).</summary>
    private static async Task<List<SnapshotRef>> ListOrRefuseAsync(IObjectStore store, CancellationToken cancellationToken)
    {
        var all = await SnapshotRepository.ListAsync(store, null, cancellationToken).ConfigureAwait(false);
        if (all.Count > 0) return all;
        var level = await store.ListLevelAsync("", cancellationToken).ConfigureAwait(false);
        if (!level.Prefixes.Contains(SnapshotIndex.BlobsPrefix, StringComparer.Ordinal))
            throw new ClutterException(Errors.SnapshotNotFound,
                $"'{store.Location}' holds no storage snapshot (no snapshots/ nor blobs/ in it). Give the location Backup-ClutterStorage -Destination wrote to; for database backups leave out -Kind StorageSnapshot.",
                store.Location.ToString());
        return all;
    }

    private static RetentionCandidate Candidate(SnapshotRef r) => new(r.Key, r.Created);

    /// <summary>Confirms every removal in one go, deletes the index objects, reports each decision in order.</summary>
    private async Task CarryOutAsync(IObjectStore store, IReadOnlyList<RetentionVerdict> verdicts, RetentionPolicy? policy, bool reportKept, HashSet<string> leaving, CancellationToken cancellationToken)
    {
        var drop = verdicts.Where(v => !v.Keep).ToList();
        var why = policy is null ? "removed as piped" : $"no rule keeps it ({policy})";
        var consents = drop.Count == 0 ? Array.Empty<Consent>()
            : await _host.ConfirmAsync(drop.Select(v => new PlannedChange($"Remove the storage snapshot '{Name(v)}' created {v.Candidate.CreatedUtc:yyyy-MM-dd HH:mm:ss}Z ({why})", store.Describe(v.Candidate.Id))).ToList()).ConfigureAwait(false);
        reportKept |= consents.Contains(Consent.WhatIf);
        foreach (var v in verdicts)
        {
            if (v.Keep)
            {
                if (reportKept) await _host.ItemAsync(Decision(store, v, RetentionAction.Kept)).ConfigureAwait(false);
                continue;
            }
            var consent = consents[drop.IndexOf(v)];
            if (consent == Consent.Decline) continue;
            if (consent == Consent.Run)
            {
                try
                {
                    await store.DeleteAsync(v.Candidate.Id, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException || (e is ClutterException c && !c.Terminating))
                {
                    await _host.ProblemAsync(new ClutterException(Errors.BackupNotRemoved,
                        $"The snapshot index '{store.Describe(v.Candidate.Id)}' could not be deleted ({e.Message.TrimEnd('.')}); the snapshot stays. Fix the {(store.Location.IsS3 ? "S3 policy (s3:DeleteObject)" : "folder's permissions")} and run Remove-ClutterBackup again.",
                        store.Describe(v.Candidate.Id), e)).ConfigureAwait(false);
                    continue;
                }
                _host.Verbose($"Removed the storage snapshot {store.Describe(v.Candidate.Id)} ({why}).");
            }
            leaving.Add(v.Candidate.Id);
            await _host.ItemAsync(Decision(store, v, consent == Consent.Run ? RetentionAction.Removed : RetentionAction.WouldRemove, why)).ConfigureAwait(false);
        }
    }

    private static string Name(RetentionVerdict v) => SnapshotIndex.ParseKey(v.Candidate.Id)!.Value.Name;

    private static RetentionDecision Decision(IObjectStore store, RetentionVerdict v, RetentionAction action, string? why = null) => new()
    {
        Action = action,
        Database = Name(v),
        CreatedUtc = DateTime.SpecifyKind(v.Candidate.CreatedUtc, DateTimeKind.Utc),
        Reasons = why is null ? v.Reasons.ToArray() : [why],
        Location = store.Describe(v.Candidate.Id),
    };
}
