using System.Diagnostics;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Restore;

namespace ClutterDR.Drill;

/// <summary>
/// The restore drill (Test-ClutterRestore): one backup restored into a new scratch database on a scratch server
/// through <see cref="RestoreService"/>, checked (row counts and table definitions against the manifest, the
/// required extensions, the queries, pg_amcheck), timed against the RTO and RPO objectives, recorded beside the
/// backups (<see cref="DrillRecords"/>) and dropped, always (failure, Ctrl+C) unless KeepDatabase. While it runs a
/// lease (<see cref="DrillLeases"/>) keeps retention off the backup.
/// </summary>
public sealed partial class DrillService
{
    private readonly IEngineHost _host;
    private readonly TimeProvider _clock;

    public DrillService(IEngineHost host, TimeProvider? clock = null)
    {
        _host = host;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The drill's result (Failed ones carry a DrillFailed problem), or null when the host declined.</summary>
    public async Task<DrillResult?> RunAsync(DrillRequest request, CancellationToken cancellationToken)
    {
        var started = _clock.GetUtcNow().UtcDateTime;
        var (folder, objectName) = request.Backup.SplitBackup();
        var name = BackupName.TryParse(objectName) ?? throw new ClutterException(Errors.InvalidLocation,
            $"'{request.Backup}' is not the location of one ClutterDR backup. Give a backup (Get-ClutterBackup ... -Latest), or a location with -Database.", request.Backup.ToString());
        // The lease and the record live under the location root: <root>/<db folder>/drills/.
        var root = FolderName(folder) == name.DatabaseFolder ? folder.SplitObject().Parent : folder;
        using var repository = BackupRepository.Open(root, request.S3);
        var backupText = repository.Describe(name.Key);
        var manifest = await BackupCatalog.ReadManifestAsync(repository, name.ManifestKey, cancellationToken).ConfigureAwait(false);
        var server = request.Server;
        started = await FreeSecondAsync(repository, name.DatabaseFolder, manifest.Database, started, cancellationToken).ConfigureAwait(false);
        var scratch = server.WithDatabase(DrillNames.Scratch(manifest.Database, started));
        await RefuseSourceServerAsync(request, manifest, backupText, cancellationToken).ConfigureAwait(false);

        var change = new PlannedChange($"Restore drill: restore {backupText} of {manifest.StartedUtc:u} into a new scratch database, check it{(request.KeepDatabase ? " and keep it" : ", then drop it")}",
            $"{scratch.Database} on {PgServerIdentity.ServerOf(server)}");
        if ((await _host.ConfirmAsync([change]).ConfigureAwait(false))[0] != Consent.Run) return null;

        var run = new DrillRun(request, manifest, backupText, scratch, started);
        await DrillLeases.BeginAsync(repository, name, scratch.Database, started, cancellationToken).ConfigureAwait(false);
        try
        {
            await RunChecksAsync(run, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Also after Ctrl+C: a fresh token with a bounded timeout, so the scratch database never outlives the drill.
            using var cleanup = new CancellationTokenSource(request.CleanupTimeout);
            if (run.Created && !request.KeepDatabase) await DropAsync(scratch, cleanup.Token).ConfigureAwait(false);
            try { await DrillLeases.EndAsync(repository, name.DatabaseFolder, scratch.Database, cleanup.Token).ConfigureAwait(false); }
            catch (Exception e)
            {
                _host.Warning($"The drill's lease {repository.Describe(DrillLeases.LeaseKey(name.DatabaseFolder, scratch.Database))} could not be removed ({e.Message}); it stops protecting the backup after {Format.Duration(DrillLeases.StaleAfter)}.");
            }
        }

        var result = run.Result(_clock.GetUtcNow().UtcDateTime, PgServerIdentity.ServerOf(server));
        var recorded = await DrillRecords.WriteAsync(repository, name.DatabaseFolder, result, cancellationToken).ConfigureAwait(false);
        _host.Verbose($"Drill {result.Status}: recorded as {recorded}.");
        if (!result.Passed)
            result.Problems = [new ClutterException(Errors.DrillFailed,
                $"The restore drill of {backupText} failed{(request.KeepDatabase && run.Created ? $" (the scratch database {scratch.Database} was kept)" : $"; the scratch database {scratch.Database} was dropped")}: {string.Join("; ", result.Failures)}",
                result)];
        return result;
    }

    /// <summary>A start time whose scratch name no drill of this database has recorded or leased (one drill a second: waits for the next).</summary>
    private async Task<DateTime> FreeSecondAsync(BackupRepository repository, string folder, string database, DateTime started, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var scratch = DrillNames.Scratch(database, started);
            if (!await repository.ExistsAsync(DrillRecords.Key(folder, scratch), cancellationToken).ConfigureAwait(false)
                && !await repository.ExistsAsync(DrillLeases.LeaseKey(folder, scratch), cancellationToken).ConfigureAwait(false))
                return started;
            await Task.Delay(TimeSpan.FromTicks(TimeSpan.TicksPerSecond - started.Ticks % TimeSpan.TicksPerSecond) + TimeSpan.FromMilliseconds(10), _clock, cancellationToken).ConfigureAwait(false);
            started = _clock.GetUtcNow().UtcDateTime;
        }
        throw new ClutterException(Errors.DrillDatabaseExists,
            $"Drills of {database} named {DrillNames.Scratch(database, started)} and the seconds before it are already recorded at {repository.Describe(DrillLeases.FolderKey(folder))}; run the drill again.", database);
    }

    private static string FolderName(BackupLocation location) =>
        location.IsS3 ? location.Prefix[(location.Prefix.LastIndexOf('/') + 1)..] : Path.GetFileName(location.Path.TrimEnd(Path.DirectorySeparatorChar));

    private async Task RefuseSourceServerAsync(DrillRequest request, BackupManifest manifest, string backupText, CancellationToken cancellationToken)
    {
        var target = await PgServerIdentity.ReadAsync(request.Server, cancellationToken).ConfigureAwait(false);
        var same = target.IsSameAs(manifest.SourceServer, manifest.SourceSystemIdentifier);
        if (same is null)
            _host.Warning($"The backup {backupText} does not record the server it was taken from (an older backup), so the drill cannot tell whether {target.Server} is that server.");
        else if (same == true && !request.AllowSourceServer)
            throw new ClutterException(Errors.DrillOnSourceServer,
                $"{target.Server} is the server the backup {backupText} was taken from ({(target.SystemIdentifier is not null && manifest.SourceSystemIdentifier is not null ? "same system identifier " + target.SystemIdentifier : "same host and port")}). " +
                "A drill restores onto a scratch server: point -ConnectionString at one, or add -AllowSourceServer to drill on the source server on purpose. Nothing was created.",
                target.Server);
        else if (same == true)
            _host.Verbose($"Drilling on the source server {target.Server}, as -AllowSourceServer asks: the restore and the checks load it.");
    }

    private async Task DropAsync(PgConnectionSettings scratch, CancellationToken cancellationToken)
    {
        try
        {
            await PgDatabases.DropAsync(scratch, cancellationToken).ConfigureAwait(false); // WITH (FORCE): its sessions are ended first
            _host.Verbose($"Dropped the scratch database {scratch.Database}.");
        }
        catch (Exception e)
        {
            _host.Warning($"The scratch database {scratch.Database} on {PgServerIdentity.ServerOf(scratch)} could not be dropped: {scratch.Scrub(e.Message)} Drop it by hand (DROP DATABASE \"{scratch.Database}\" WITH (FORCE)).");
        }
    }

    /// <summary>A restore host that forwards everything but confirmation: the drill has asked once for all it does.</summary>
    private sealed class ConfirmedHost(IEngineHost inner) : IEngineHost
    {
        public void Progress(ProgressUpdate update) => inner.Progress(update);
        public void Verbose(string message) => inner.Verbose(message);
        public void Warning(string message) => inner.Warning(message);
        public ValueTask ProblemAsync(ClutterException problem) => inner.ProblemAsync(problem);
        public ValueTask ItemAsync(object item) => ValueTask.CompletedTask;
        public ValueTask<IReadOnlyList<Consent>> ConfirmAsync(IReadOnlyList<PlannedChange> changes) => NullHost.Instance.ConfirmAsync(changes);
    }
}
