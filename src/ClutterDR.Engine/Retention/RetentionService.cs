using ClutterDR.Catalog;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Retention;

/// <summary>What Remove-ClutterBackup -Location asked for: a policy over the databases of a location.</summary>
public sealed record RetentionRequest
{
    public required BackupLocation Location { get; init; }
    public S3Options S3 { get; init; } = new();
    /// <summary>Only these databases; null or empty: every database under the location.</summary>
    public IReadOnlyList<string>? Databases { get; init; }
    public required RetentionPolicy Policy { get; init; }
    /// <summary>Also remove data objects without a manifest older than the debris age (24 h, CLUTTERDR_DEBRIS_MIN_AGE).</summary>
    public bool IncludeOrphans { get; init; }
    /// <summary>Also report the kept backups with their reasons (-PassThru, -WhatIf).</summary>
    public bool ReportKept { get; init; }
}

/// <summary>
/// Remove-ClutterBackup: applies a <see cref="RetentionPolicy"/> to each database of a location, or removes piped
/// backups one by one, never past the safety floor (newest, pinned, drill running, Object Lock). Lists through
/// <see cref="BackupCatalog"/>, confirms through the host, deletes through <see cref="RetentionDeletes"/> (manifest
/// first) and hands each <see cref="RetentionDecision"/> to the host. One instance serves one cmdlet call: piped
/// backups of one database are decided against one listing of it.
/// </summary>
public sealed class RetentionService
{
    private readonly IEngineHost _host;
    private readonly Func<DateTime> _now;
    private readonly Dictionary<string, List<BackupInfo>> _listings = new(StringComparer.Ordinal);

    public RetentionService(IEngineHost host, Func<DateTime>? nowUtc = null)
    {
        _host = host;
        _now = nowUtc ?? (() => DateTime.UtcNow);
    }

    /// <summary>The policy over every database asked for (each database on its own), then the orphans if asked.</summary>
    public async Task ApplyPolicyAsync(RetentionRequest request, CancellationToken cancellationToken)
    {
        if (request.Policy.KeepsNothing)
            throw new ClutterException(Errors.RetentionKeepsNothing,
                $"The retention policy for '{request.Location}' keeps no backup: give at least one of -KeepLast, -KeepDaily, -KeepWeekly, -KeepMonthly, -KeepYearly or -KeepWithin (above zero), such as -KeepDaily 7 -KeepWeekly 4 -KeepMonthly 3. Nothing was removed.",
                request.Location.ToString());
        var backups = await BackupCatalog.FindAsync(new BackupQuery
        {
            Location = request.Location, S3 = request.S3, Databases = request.Databases, Host = _host,
        }, cancellationToken).ConfigureAwait(false);
        using var repository = BackupRepository.Open(request.Location, request.S3);
        var now = _now();
        _host.Verbose($"Applying the retention policy ({request.Policy}) to {backups.Count} backup{(backups.Count == 1 ? "" : "s")} under {request.Location}.");
        foreach (var group in backups.GroupBy(b => b.Database, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var verdicts = await DecideAsync(repository, group.ToList(), request.Policy, now, cancellationToken).ConfigureAwait(false);
            await CarryOutAsync(repository, verdicts, request.Policy, request.ReportKept, cancellationToken).ConfigureAwait(false);
        }
        if (request.IncludeOrphans)
            await RetentionDeletes.RemoveOrphansAsync(repository, request.Databases, _host, now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One piped backup (its data object or manifest): removed unless the safety floor keeps it (a BackupProtected problem).</summary>
    public async Task RemoveAsync(BackupLocation backup, S3Options s3, bool reportKept, CancellationToken cancellationToken)
    {
        var (root, manifestKey) = RootOf(backup);
        using var repository = BackupRepository.Open(root, s3);
        var manifest = await BackupCatalog.ReadManifestAsync(repository, manifestKey, cancellationToken).ConfigureAwait(false);
        var cacheKey = $"{s3.EndpointUrl}|{root}|{manifest.Database}";
        if (!_listings.TryGetValue(cacheKey, out var listed))
        {
            listed = (await BackupCatalog.ListAsync(new BackupQuery { Location = root, S3 = s3, Databases = [manifest.Database], Host = _host }, cancellationToken).ConfigureAwait(false)).Backups;
            _listings[cacheKey] = listed;
        }
        var target = repository.Describe(manifestKey);
        var verdicts = await DecideAsync(repository, listed, new RetentionPolicy(), _now(), cancellationToken).ConfigureAwait(false);
        var verdict = verdicts.FirstOrDefault(v => v.Backup.ManifestLocation == target)
            ?? throw new ClutterException(Errors.ManifestNotFound, $"The backup '{target}' is no longer listed as complete (removed meanwhile?). List the backups with Get-ClutterBackup.", target);
        if (verdict.Reasons.Count > 0)
        {
            await _host.ProblemAsync(new ClutterException(Errors.BackupProtected,
                $"The backup '{verdict.Backup.Location}' was not removed: it is kept by the safety floor ({string.Join(", ", verdict.Reasons)}). Unpin it with Set-ClutterBackup -Pinned $false, wait for the drill or the Object Lock to end, or make a newer backup of {manifest.Database} first.",
                verdict.Backup.Location)).ConfigureAwait(false);
            if (reportKept) await _host.ItemAsync(Decision(verdict, RetentionAction.Kept)).ConfigureAwait(false);
            return;
        }
        if (await CarryOutAsync(repository, verdicts.Where(v => v == verdict).ToList(), null, reportKept, cancellationToken).ConfigureAwait(false))
            listed.Remove(verdict.Backup);
    }

    /// <summary>A backup's verdict under the policy plus the floor; reasons empty: it goes.</summary>
    private sealed record Verdict(BackupInfo Backup, IReadOnlyList<string> Reasons);

    private static async Task<List<Verdict>> DecideAsync(BackupRepository repository, List<BackupInfo> backups, RetentionPolicy policy, DateTime now, CancellationToken cancellationToken)
    {
        var leases = new List<DrillLease>();
        foreach (var folder in backups.Select(b => BackupName.SafeFolderName(b.Database)).Distinct(StringComparer.Ordinal))
            leases.AddRange(await DrillLeases.ListRunningAsync(repository, folder, now, cancellationToken).ConfigureAwait(false));
        var byId = backups.ToDictionary(b => b.ManifestLocation, StringComparer.Ordinal);
        var candidates = backups.Select(b => new RetentionCandidate(b.ManifestLocation, b.CreatedUtc, b.Pinned,
            leases.Any(l => string.Equals(l.BackupFileName, FileNameOf(b.Location), StringComparison.Ordinal)), b.RetainUntil));
        return policy.Decide(candidates, now).Select(v => new Verdict(byId[v.Candidate.Id], v.Reasons)).ToList();
    }

    /// <summary>Confirms every removal in one go, removes, and reports each decision in order; true when something was removed.</summary>
    private async Task<bool> CarryOutAsync(BackupRepository repository, List<Verdict> verdicts, RetentionPolicy? policy, bool reportKept, CancellationToken cancellationToken)
    {
        var drop = verdicts.Where(v => v.Reasons.Count == 0).ToList();
        var why = policy is null ? "removed as piped" : $"no rule keeps it ({policy})";
        var consents = drop.Count == 0 ? Array.Empty<Consent>()
            : await _host.ConfirmAsync(drop.Select(v => new PlannedChange($"Remove the backup of {v.Backup.Database} created {v.Backup.CreatedUtc:yyyy-MM-dd HH:mm:ss}Z ({why})", v.Backup.Location)).ToList()).ConfigureAwait(false);
        reportKept |= consents.Contains(Consent.WhatIf);
        var removed = false;
        foreach (var v in verdicts)
        {
            if (v.Reasons.Count > 0)
            {
                if (reportKept) await _host.ItemAsync(Decision(v, RetentionAction.Kept)).ConfigureAwait(false);
                continue;
            }
            var consent = consents[drop.IndexOf(v)];
            if (consent == Consent.Decline) continue;
            if (consent == Consent.WhatIf)
            {
                await _host.ItemAsync(Decision(v, RetentionAction.WouldRemove, why)).ConfigureAwait(false);
                continue;
            }
            try
            {
                await RetentionDeletes.RemoveBackupAsync(repository, RelativeKey(repository, v.Backup.ManifestLocation), RelativeKey(repository, v.Backup.Location), cancellationToken).ConfigureAwait(false);
            }
            catch (ClutterException e) when (!e.Terminating)
            {
                await _host.ProblemAsync(e).ConfigureAwait(false);
                continue;
            }
            _host.Verbose($"Removed the backup {v.Backup.Location} ({why}).");
            removed = true;
            await _host.ItemAsync(Decision(v, RetentionAction.Removed, why)).ConfigureAwait(false);
        }
        return removed;
    }

    private static RetentionDecision Decision(Verdict v, RetentionAction action, string? why = null) => new()
    {
        Action = action,
        Database = v.Backup.Database,
        CreatedUtc = v.Backup.CreatedUtc,
        Reasons = why is null ? v.Reasons.ToArray() : [why],
        Location = v.Backup.Location,
        Backup = v.Backup,
    };

    /// <summary>The repository root of a backup (the folder above its database folder, when it is in one) and its manifest key there.</summary>
    private static (BackupLocation Root, string ManifestKey) RootOf(BackupLocation backup)
    {
        var (parent, dataObject) = backup.SplitBackup();
        var name = BackupName.TryParse(dataObject)
            ?? throw new ClutterException(Errors.InvalidLocation, $"'{backup}' is not a ClutterDR backup name (<database>_<yyyyMMddTHHmmssZ>.<ext>). Pipe backups from Get-ClutterBackup.", backup.ToString());
        if (FileNameOf(parent.ToString()) == name.DatabaseFolder && (!parent.IsS3 || parent.Prefix.Length > 0))
        {
            var (root, _) = parent.SplitObject();
            return (root, name.ManifestKey);
        }
        return (parent, name.ManifestFileName);
    }

    /// <summary>The key relative to the repository of a location it describes.</summary>
    internal static string RelativeKey(BackupRepository repository, string described)
    {
        var root = repository.Describe("x")[..^1];
        if (!described.StartsWith(root, StringComparison.Ordinal))
            throw new ClutterException(Errors.InvalidLocation, $"'{described}' is not under '{repository.Location}'.", described);
        return described[root.Length..].Replace(Path.DirectorySeparatorChar, '/');
    }

    private static string FileNameOf(string location) => location[(location.LastIndexOfAny(['/', Path.DirectorySeparatorChar]) + 1)..];
}
