using System.Diagnostics;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Restore;

/// <summary>
/// The backup stream backwards: object -> verify SHA-256 -> decompress -> pg_restore (custom) or psql
/// (plain), in one transaction that stops at the first error, so a failed restore leaves the target
/// as it was. Then row counts of the target against the manifest.
/// </summary>
public sealed partial class RestoreService
{
    private readonly IEngineHost _sink;
    public RestoreService(IEngineHost sink) => _sink = sink;

    public async Task<RestoreResult?> RunAsync(RestoreRequest request, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var target = request.Target;
        var (parent, objectName) = request.Backup.SplitBackup();
        using var repository = BackupRepository.Open(parent, request.S3);
        var (manifest, backupText) = await ReadBackupAsync(request, repository, objectName, cancellationToken).ConfigureAwait(false);
        var tool = manifest.Format == DumpFormat.Custom ? PgRestore.Find(manifest.PgDumpVersion) : PgTools.Find("psql");
        _sink.Verbose($"Using {tool.Description} to restore {backupText} into {target.Display}.");

        // Selected tables: checked against the archive's own table of contents before anything is created.
        ArchiveObjects? archive = null;
        List<(string Schema, string Name)>? selected = null;
        if (request.Tables.Count > 0)
        {
            archive = await ReadArchiveObjectsAsync(repository, objectName, manifest, request.Decryption, tool, backupText, cancellationToken).ConfigureAwait(false);
            selected = TableRestorePlan.Select(archive, request.Tables, backupText);
            _sink.Verbose($"The archive holds {archive.Tables.Count()} tables; restoring {string.Join(", ", selected.Select(TableRestorePlan.Display))}{(request.DataOnly ? " (rows only)" : "")}.");
        }

        // What the target is (-TargetKind), and for a Supabase project (or a Supabase backup elsewhere) what of the archive goes in how.
        var (kind, shaped) = request.Tables.Count == 0
            ? await PlanForTargetAsync(request, manifest, repository, objectName, tool, backupText, cancellationToken).ConfigureAwait(false)
            : (TargetKind.PostgreSQL, null);
        // Target: exists (or may be created), and holds nothing the restore would overwrite unless -Clean.
        var (exists, plan) = await RestoreTarget.CheckAsync(request, archive, selected, shaped?.Kind == TargetKind.Supabase, cancellationToken).ConfigureAwait(false);
        foreach (var skipped in plan?.Skipped ?? Array.Empty<string>())
            _sink.Warning($"Not restored: {skipped}. Restore that table too, or add the constraint by hand.");
        var change = new PlannedChange(RestoreTarget.Action(request, plan, backupText, manifest.StartedUtc), target.Display);
        if ((await _sink.ConfirmAsync([change]).ConfigureAwait(false))[0] != Consent.Run) return null;

        if (!exists) await CreateDatabaseAsync(target, cancellationToken).ConfigureAwait(false);
        try
        {
            if (shaped is not null)
                await RestoreShapedAsync(request, shaped, manifest, repository, objectName, tool, backupText, cancellationToken).ConfigureAwait(false);
            else if (plan is null)
                await StreamIntoToolAsync(request, manifest, repository, objectName, tool, backupText, cancellationToken).ConfigureAwait(false);
            else
                await RestoreTablesAsync(request, plan, manifest, repository, objectName, tool, backupText, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (!exists) await DropDatabaseQuietlyAsync(target).ConfigureAwait(false);
            throw;
        }
        if (plan is { Cascaded.Count: > 0 })
            _sink.Warning($"-Cascade emptied {string.Join(", ", plan.Cascaded)}, which reference the restored tables.");

        var grantsComparable = !request.NoOwner && (shaped is null || (shaped.GrantsRestored && !shaped.NoOwner));
        var tables = await VerifyAsync(target, manifest, selected, shaped, grantsComparable, cancellationToken).ConfigureAwait(false);
        var result = new RestoreResult
        {
            Database = target.Database,
            Backup = backupText,
            BackupCreatedUtc = manifest.StartedUtc,
            Duration = watch.Elapsed,
            FinishedUtc = DateTime.UtcNow,
            Tables = tables,
            Scope = plan is null ? "Database" : plan.DataOnly ? "TableData" : "Tables",
            Verified = tables.All(t => t.Matches),
            TargetKind = kind.ToString(),
            CreatedRoles = shaped?.CreatedRoles.ToArray() ?? Array.Empty<string>(),
        };
        result.Problems = VerificationProblems(result).ToArray();
        return result;
    }

    /// <summary>The backup's manifest, and its key checked before the target is touched; a request the backup cannot serve is refused.</summary>
    private async Task<(BackupManifest Manifest, string BackupText)> ReadBackupAsync(RestoreRequest request, BackupRepository repository, string objectName, CancellationToken cancellationToken)
    {
        var manifest = await BackupCatalog.ReadManifestAsync(repository, objectName + BackupName.ManifestSuffix, cancellationToken).ConfigureAwait(false);
        var backupText = repository.Describe(objectName);
        _sink.Verbose($"Read the manifest {repository.Describe(objectName + BackupName.ManifestSuffix)}: {manifest.Database}, {manifest.Format} format, {Format.Bytes(manifest.StoredBytes)} stored, made by pg_dump {manifest.PgDumpVersion}.");
        if (manifest.Kind == "config")
            throw new ClutterException(Errors.NotConfigBackup,
                $"'{backupText}' is a configuration backup ({manifest.Database}), not a database dump: restore it with Restore-ClutterConfiguration -Destination <folder>.", backupText);
        if (manifest.Encryption.Mode != EncryptionKind.None)
        {
            // The key is checked (manifest recipients, then the message header) before the target is touched.
            await using var probe = await BackupReader.OpenAsync(repository, objectName, manifest, request.Decryption, backupText, cancellationToken).ConfigureAwait(false);
        }
        if (manifest.Format == DumpFormat.Plain && request.Tables.Count > 0)
            throw new ClutterException(Errors.TableFilterNotSupported,
                $"-Table needs a backup in custom format; '{backupText}' is a plain SQL dump. Restore all of it, or back up with -Format Custom.", backupText);
        if (request.DataOnly && request.Tables.Count == 0)
            throw new ClutterException(Errors.TableRequired,
                "-DataOnly reloads the rows of the tables named by -Table; name them with -Table.", backupText);
        return (manifest, backupText);
    }

    private async Task StreamIntoToolAsync(RestoreRequest request, BackupManifest manifest, BackupRepository repository, string objectName, PgTool tool, string backupText, CancellationToken cancellationToken)
    {
        var target = request.Target;
        var args = manifest.Format == DumpFormat.Custom ? PgRestore.Arguments(target, request.Clean, request.NoOwner) : PgRestore.PsqlArguments(target);

        var progress = new ByteProgress(_sink, $"Restoring {backupText} into {target.Display}", manifest.StoredBytes);
        PgProcess? proc = null;
        try
        {
            await using var reader = await BackupReader.OpenAsync(repository, objectName, manifest, request.Decryption, backupText, cancellationToken).ConfigureAwait(false);
            proc = PgProcess.Start(tool, args, target, redirectInput: true, redirectOutput: false);
            var toolDone = false; // pg_restore -t stops reading once it has what it needs
            try
            {
                await StreamPump.CopyAsync(reader.Plain, proc.StandardInput, _ => progress.Report(reader.Stored.BytesCount), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (!StoredFormat.IsDataError(e) && proc.ExitsWithinAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult())
            {
                // The tool closed its input: it failed, or it has finished with what it needed.
                var early = await proc.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                if (early != 0) throw RestoreFailed(proc, early, target, backupText);
                toolDone = true;
            }
            catch (Exception e) when (StoredFormat.IsDataError(e))
            {
                proc.Kill(); // before its transaction commits
                var fault = await reader.ExplainAsync(e, cancellationToken).ConfigureAwait(false);
                throw new ClutterException(fault.Error, fault.Message + " The restore was stopped before it committed, so the target was not changed.", fault.Target, fault);
            }
            // Read to the very end so the hash covers every stored byte.
            var mismatch = await reader.FinishAsync(n => progress.Report(n), cancellationToken).ConfigureAwait(false);
            if (mismatch is not null)
            {
                proc.Kill(); // before its transaction commits
                var outcome = toolDone
                    ? "The selected tables were already restored from the part that was read: check them."
                    : "The restore was stopped before it committed, so the target was not changed.";
                throw new ClutterException(mismatch.Error, mismatch.Message + " " + outcome, mismatch.Target);
            }
            if (!toolDone)
            {
                try { proc.StandardInput.Close(); } catch (IOException) { }
                var exit = await proc.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (exit != 0) throw RestoreFailed(proc, exit, target, backupText);
            }
            progress.Report(reader.Stored.BytesCount);
        }
        catch (OperationCanceledException e)
        {
            proc?.Kill();
            throw new OperationCanceledException("The restore was stopped; its transaction was rolled back.", e, cancellationToken);
        }
        finally
        {
            progress.Complete();
            proc?.Dispose();
        }
    }

    private static ClutterException RestoreFailed(PgProcess proc, int exit, PgConnectionSettings target, string backupText) =>
        new(Errors.RestoreFailed,
            $"{proc.ToolName} failed restoring '{backupText}' into {target.Display} ({PgProcess.DescribeExit(exit)}); its transaction was rolled back, so the target is as it was. {proc.ToolName} said: {proc.StandardErrorTail}",
            target.Database);

    private async Task CreateDatabaseAsync(PgConnectionSettings target, CancellationToken cancellationToken)
    {
        await PgDatabases.CreateAsync(target, cancellationToken).ConfigureAwait(false);
        _sink.Verbose($"Created database {target.Database} on {target.Host}:{target.Port}.");
    }

    private async Task DropDatabaseQuietlyAsync(PgConnectionSettings target)
    {
        try
        {
            await PgDatabases.DropAsync(target, CancellationToken.None).ConfigureAwait(false);
            _sink.Verbose($"Dropped database {target.Database}, which this restore had created.");
        }
        catch (Exception e)
        {
            _sink.Warning($"The restore failed and the database {target.Database} it created could not be dropped: {target.Scrub(e.Message)}");
        }
    }
}
