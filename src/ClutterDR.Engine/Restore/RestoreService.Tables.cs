using System.Text;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Restore;

/// <summary>
/// A restore of selected tables: pg_restore -L (the plan's entries) writes SQL, which psql runs in one
/// transaction. psql's input is closed, and so the transaction committed, only after the whole stored
/// object has been read and matched the manifest's size and SHA-256 (pg_restore stops reading once it
/// has the entries it needs; its transaction would otherwise commit before the check).
/// </summary>
public sealed partial class RestoreService
{
    private Task RestoreTablesAsync(RestoreRequest request, TableRestorePlan plan, BackupManifest manifest, BackupRepository repository, string objectName, PgTool pgRestore, string backupText, CancellationToken cancellationToken) =>
        RelayAsync(request, new Relay(plan.ListLines, plan.Prelude, plan.Postlude, $"Restoring {string.Join(", ", plan.Tables.Select(TableRestorePlan.Display))} from {backupText} into {request.Target.Display}",
            plan.DataOnly, request.Clean, request.NoOwner, NoPrivileges: false), manifest, repository, objectName, pgRestore, backupText, cancellationToken);

    /// <summary>What pg_restore -L | psql runs: the list's entries between a prelude and a postlude, with pg_restore's switches.</summary>
    private sealed record Relay(IReadOnlyList<string> ListLines, string Prelude, string Postlude, string Activity, bool DataOnly, bool Clean, bool NoOwner, bool NoPrivileges);

    private async Task RelayAsync(RestoreRequest request, Relay plan, BackupManifest manifest, BackupRepository repository, string objectName, PgTool pgRestore, string backupText, CancellationToken cancellationToken)
    {
        var target = request.Target;
        var psql = PgTools.Find("psql");
        var listFile = Path.Combine(Path.GetTempPath(), $"clutterdr-restore-{Guid.NewGuid():N}.list");
        await File.WriteAllLinesAsync(listFile, plan.ListLines, cancellationToken).ConfigureAwait(false);
        var args = PgRestore.TableArguments(listFile, plan.DataOnly, plan.Clean, plan.NoOwner, plan.NoPrivileges);
        var psqlArgs = PgRestore.PsqlArguments(target);

        var progress = new ByteProgress(_sink, plan.Activity, manifest.StoredBytes);
        PgProcess? restore = null, sql = null;
        Task? relay = null;
        try
        {
            await using var reader = await BackupReader.OpenAsync(repository, objectName, manifest, request.Decryption, backupText, cancellationToken).ConfigureAwait(false);
            sql = PgProcess.Start(psql, psqlArgs, target, redirectInput: true, redirectOutput: false);
            restore = PgRestore.StartOnArchive(pgRestore, args);
            relay = StartRelay(restore, sql, Encoding.UTF8.GetBytes(plan.Prelude), cancellationToken);
            await FeedArchiveAsync(reader, restore, sql, progress, cancellationToken).ConfigureAwait(false);
            var restoreExit = await restore.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (relay.IsFaulted || sql.HasExited)
            {
                // psql stopped first, at an error in the SQL: its transaction rolled back; its message is the one to show.
                var sqlExit = await sql.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (sqlExit != 0) throw RestoreFailed(sql, sqlExit, target, backupText);
            }
            if (restoreExit != 0)
            {
                sql.Kill();
                throw RestoreFailed(restore, restoreExit, target, backupText);
            }
            // Read to the very end so the hash covers every stored byte; only then may psql commit.
            var mismatch = await reader.FinishAsync(n => progress.Report(n), cancellationToken).ConfigureAwait(false);
            if (mismatch is not null)
            {
                sql.Kill();
                throw new ClutterException(mismatch.Error, mismatch.Message + " The restore was stopped before it committed, so the target was not changed.", mismatch.Target);
            }
            await CommitSqlAsync(plan, sql, relay, target, backupText, cancellationToken).ConfigureAwait(false);
            progress.Report(reader.Stored.BytesCount);
        }
        catch (OperationCanceledException e)
        {
            restore?.Kill(); sql?.Kill();
            throw new OperationCanceledException("The restore was stopped; its transaction was rolled back.", e, cancellationToken);
        }
        finally
        {
            progress.Complete();
            restore?.Dispose();
            sql?.Dispose();
            if (relay is not null) try { await relay.ConfigureAwait(false); } catch { /* reported above */ }
            try { File.Delete(listFile); } catch (IOException) { }
        }
    }

    /// <summary>pg_restore's SQL into psql, after the plan's prelude; if psql stops at an error, pg_restore is killed.</summary>
    private static Task StartRelay(PgProcess restore, PgProcess sql, byte[] prelude, CancellationToken cancellationToken) => Task.Run(async () =>
    {
        try
        {
            await sql.StandardInput.WriteAsync(prelude, cancellationToken).ConfigureAwait(false);
            await restore.StandardOutput.CopyToAsync(sql.StandardInput, cancellationToken).ConfigureAwait(false);
            await sql.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            restore.Kill(); // psql stopped at an error: pg_restore must not wait on a full pipe
            throw;
        }
    }, cancellationToken);

    /// <summary>The dump into pg_restore until it has what it needs; damaged data stops both tools before psql commits.</summary>
    private static async Task FeedArchiveAsync(BackupReader reader, PgProcess restore, PgProcess sql, ByteProgress progress, CancellationToken cancellationToken)
    {
        try
        {
            await StreamPump.CopyAsync(reader.Plain, restore.StandardInput, _ => progress.Report(reader.Stored.BytesCount), cancellationToken).ConfigureAwait(false);
            try { restore.StandardInput.Close(); } catch (IOException) { }
        }
        catch (IOException e) when (!StoredFormat.IsDataError(e))
        {
            // pg_restore has what it needs and stopped reading (or failed: its exit code tells).
            if (!await restore.ExitsWithinAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false)) throw;
        }
        catch (Exception e) when (StoredFormat.IsDataError(e))
        {
            restore.Kill(); sql.Kill(); // before psql's transaction commits
            var fault = await reader.ExplainAsync(e, cancellationToken).ConfigureAwait(false);
            throw new ClutterException(fault.Error, fault.Message + " The restore was stopped before it committed, so the target was not changed.", fault.Target, fault);
        }
    }

    /// <summary>The rest of pg_restore's SQL and the plan's postlude into psql, whose input closed commits its transaction.</summary>
    private static async Task CommitSqlAsync(Relay plan, PgProcess sql, Task relay, PgConnectionSettings target, string backupText, CancellationToken cancellationToken)
    {
        try
        {
            await relay.ConfigureAwait(false);
            if (plan.Postlude.Length > 0)
                await sql.StandardInput.WriteAsync(Encoding.UTF8.GetBytes(plan.Postlude), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) when (sql.HasExited) { /* psql stopped at an error: its exit code tells */ }
        try { sql.StandardInput.Close(); } catch (IOException) { }
        var exit = await sql.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (exit != 0) throw RestoreFailed(sql, exit, target, backupText);
    }

    /// <summary>
    /// The archive's entries (pg_restore --list) and their SQL (pg_restore --schema-only): both read only the
    /// archive's table of contents at its start, fed from one read of the stored object.
    /// </summary>
    private static async Task<ArchiveObjects> ReadArchiveObjectsAsync(BackupRepository repository, string objectName, BackupManifest manifest, DecryptionOptions decryption, PgTool pgRestore, string backupText, CancellationToken cancellationToken)
    {
        await using var reader = await BackupReader.OpenAsync(repository, objectName, manifest, decryption, backupText, cancellationToken).ConfigureAwait(false);
        using var list = PgRestore.StartOnArchive(pgRestore, PgRestore.ListArguments);
        using var schema = PgRestore.StartOnArchive(pgRestore, PgRestore.SchemaArguments);
        var procs = new[] { list, schema };
        var outputs = procs.Select(p => Task.Run(async () =>
        {
            using var text = new StreamReader(p.StandardOutput, Encoding.UTF8);
            return await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken)).ToArray();
        var open = new[] { true, true };
        var buffer = new byte[256 * 1024];
        try
        {
            int n;
            while (open.Any(o => o) && (n = await reader.Plain.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                for (var i = 0; i < procs.Length; i++)
                {
                    if (!open[i]) continue;
                    try { await procs[i].StandardInput.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false); }
                    catch (IOException) { open[i] = false; } // it has read the table of contents
                }
            }
            for (var i = 0; i < procs.Length; i++) if (open[i]) try { procs[i].StandardInput.Close(); } catch (IOException) { }
        }
        catch (Exception e) when (StoredFormat.IsDataError(e))
        {
            foreach (var p in procs) p.Kill();
            throw await reader.ExplainAsync(e, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var p in procs) p.Kill();
            throw;
        }
        foreach (var p in procs)
        {
            var exit = await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (exit != 0)
                throw new ClutterException(Errors.ArchiveUnreadable,
                    $"pg_restore cannot read the table of contents of '{backupText}' ({PgProcess.DescribeExit(exit)}): {p.StandardErrorTail}. Check it with Test-ClutterBackup -Deep, or use an older backup.", backupText);
        }
        return ArchiveObjects.Parse(await outputs[0].ConfigureAwait(false), await outputs[1].ConfigureAwait(false));
    }
}
