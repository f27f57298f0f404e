using System.Diagnostics;
using Npgsql;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Database;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Restore;

public sealed record RestoreRequest
{
    public required PgConnectionSettings Target { get; init; }
    /// <summary>Location of one backup's data object (or its manifest).</summary>
    public required BackupLocation Backup { get; init; }
    public S3Options S3 { get; init; } = new();
    public bool Clean { get; init; }
    public bool CreateDatabase { get; init; }
    public bool NoOwner { get; init; }
    public IReadOnlyList<string> Tables { get; init; } = Array.Empty<string>();
    /// <summary>With Tables: load only their rows into the target's existing tables (TRUNCATE, then the rows).</summary>
    public bool DataOnly { get; init; }
    /// <summary>With DataOnly: also empty the tables outside the selection whose rows reference the selected ones.</summary>
    public bool Cascade { get; init; }
    /// <summary>Key or passphrase of an encrypted backup.</summary>
    public DecryptionOptions Decryption { get; init; } = new();
    /// <summary>Asked right before the first change to the target (target, action); false skips the restore.</summary>
    public Func<string, string, bool> Confirm { get; init; } = (_, _) => true;
}

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
        var (parent, objectName) = request.Backup.SplitObject();
        if (objectName.EndsWith(BackupName.ManifestSuffix, StringComparison.Ordinal))
            objectName = objectName[..^BackupName.ManifestSuffix.Length];

        using var repository = RepositoryFactory.Open(parent, request.S3);
        var manifest = await BackupCatalog.ReadManifestAsync(repository, objectName + BackupName.ManifestSuffix, cancellationToken).ConfigureAwait(false);
        var backupText = repository.Describe(objectName);
        _sink.Verbose($"Read the manifest {repository.Describe(objectName + BackupName.ManifestSuffix)}: {manifest.Database}, {manifest.Format} format, {Format.Bytes(manifest.StoredBytes)} stored, made by pg_dump {manifest.PgDumpVersion}.");
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

        var dumpMajor = int.TryParse((manifest.PgDumpVersion ?? "0").Split('.')[0], out var mj) ? mj : 0;
        var tool = manifest.Format == DumpFormat.Custom ? PgTools.Find("pg_restore", dumpMajor > 0 ? dumpMajor : null) : PgTools.Find("psql");
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

        // Target: exists (or may be created), and holds nothing the restore would overwrite unless -Clean.
        var created = false;
        var exists = await TargetExistsAsync(target, cancellationToken).ConfigureAwait(false);
        if (!exists && !request.CreateDatabase)
            throw new ClutterException(Errors.DatabaseNotFound,
                $"The target database '{target.Database}' does not exist on {target.Host}:{target.Port}. Add -CreateDatabase to create it, or create it first.", target.Database);
        if (!exists && request.DataOnly)
            throw new ClutterException(Errors.DatabaseNotFound,
                $"-DataOnly loads rows into tables of an existing database, and '{target.Database}' does not exist on {target.Host}:{target.Port}. Leave out -DataOnly to restore whole tables into a new database.", target.Database);
        TableRestorePlan? plan = null;
        if (exists)
        {
            await using var probe = await PgErrors.OpenAsync(target, cancellationToken).ConfigureAwait(false);
            if (selected is null)
            {
                if (!request.Clean && await PgCatalog.HasUserRelationsAsync(probe, cancellationToken).ConfigureAwait(false))
                    throw new ClutterException(Errors.TargetNotEmpty,
                        $"The target database '{target.Database}' on {target.Host}:{target.Port} already has tables. Add -Clean to replace what the backup contains (ConfirmImpact High), or restore into a new database with -CreateDatabase.",
                        target.Database);
            }
            else if (request.DataOnly)
            {
                plan = await TableRestorePlan.ForDataAsync(archive!, selected, probe, request.Cascade, target.Display, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var there = new HashSet<(string, string)>((await PgCatalog.ListRelationsAsync(probe, cancellationToken).ConfigureAwait(false)).Select(r => (r.Schema, r.Name)));
                var clash = selected.Where(there.Contains).Select(TableRestorePlan.Display).ToList();
                if (clash.Count > 0 && !request.Clean)
                    throw new ClutterException(Errors.TargetNotEmpty,
                        $"The target database '{target.Database}' on {target.Host}:{target.Port} already has {string.Join(", ", clash)}. Add -Clean to replace the whole table (definition, indexes, constraints, triggers, policies and rows; ConfirmImpact High), or -DataOnly to reload only its rows.",
                        target.Database);
                plan = TableRestorePlan.ForTables(archive!, selected, there);
            }
        }
        else if (selected is not null)
        {
            plan = TableRestorePlan.ForTables(archive!, selected, new HashSet<(string, string)>());
        }
        foreach (var skipped in plan?.Skipped ?? Array.Empty<string>())
            _sink.Warning($"Not restored: {skipped}. Restore that table too, or add the constraint by hand.");

        var what = plan is null ? "" : (plan.DataOnly ? " rows of " : " tables ") + string.Join(", ", plan.Tables.Select(TableRestorePlan.Display)) + " from";
        var how = plan is { DataOnly: true } ? $", emptying those tables first{(plan.Cascaded.Count > 0 ? " and, through -Cascade, " + string.Join(", ", plan.Cascaded) : "")}"
            : request.Clean ? ", dropping existing objects first (-Clean)" : "";
        var action = $"Restore{what} backup {backupText} of {manifest.StartedUtc:u}{how}";
        if (!request.Confirm(target.Display, action)) return null;

        if (!exists)
        {
            await CreateDatabaseAsync(target, cancellationToken).ConfigureAwait(false);
            created = true;
        }

        try
        {
            if (plan is null)
                await StreamIntoToolAsync(request, manifest, repository, objectName, tool, backupText, cancellationToken).ConfigureAwait(false);
            else
                await RestoreTablesAsync(request, plan, manifest, repository, objectName, tool, backupText, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (created) await DropDatabaseQuietlyAsync(target).ConfigureAwait(false);
            throw;
        }
        if (plan is { Cascaded.Count: > 0 })
            _sink.Warning($"-Cascade emptied {string.Join(", ", plan.Cascaded)}, which reference the restored tables.");

        var tables = await VerifyAsync(target, manifest, selected, cancellationToken).ConfigureAwait(false);
        var result = new RestoreResult
        {
            Database = target.Database,
            Backup = backupText,
            BackupCreatedUtc = manifest.StartedUtc,
            Duration = watch.Elapsed,
            Tables = tables,
            Scope = plan is null ? "Database" : plan.DataOnly ? "TableData" : "Tables",
            Verified = tables.All(t => t.Matches),
        };
        result.Problems = VerificationProblems(result).ToArray();
        return result;
    }

    private async Task StreamIntoToolAsync(RestoreRequest request, BackupManifest manifest, BackupRepository repository, string objectName, PgTool tool, string backupText, CancellationToken cancellationToken)
    {
        var target = request.Target;
        var args = new List<string>();
        if (manifest.Format == DumpFormat.Custom)
        {
            args.AddRange(new[] { "--single-transaction", "--exit-on-error", "--no-password", "--dbname=" + target.DbnameArgument });
            if (request.Clean) { args.Add("--clean"); args.Add("--if-exists"); }
            if (request.NoOwner) args.Add("--no-owner");
        }
        else
        {
            args.AddRange(new[] { "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction", "--no-password", "--dbname=" + target.DbnameArgument, "--file=-" });
        }

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
            catch (IOException e) when (!BackupReader.IsDataError(e) && proc.ExitsWithinAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult())
            {
                // The tool closed its input: it failed, or it has finished with what it needed.
                var early = await proc.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                if (early != 0) throw RestoreFailed(proc, early, target, backupText);
                toolDone = true;
            }
            catch (Exception e) when (BackupReader.IsDataError(e))
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

    /// <summary>Several backups given for one target: refused before anything is restored.</summary>
    public static ClutterException MultipleBackups(IReadOnlyList<string> backups, string targetConnectionString, System.Net.NetworkCredential? credential)
    {
        var target = PgConnectionSettings.Parse(targetConnectionString, credential);
        return new ClutterException(Errors.MultipleBackupsForOneTarget,
            $"{backups.Count} backups were given for one target, {target.Display}: {string.Join(", ", backups.Take(5))}{(backups.Count > 5 ? ", ..." : "")}. Restoring them in turn would leave only the last one; nothing was restored. " +
            "Pick one (Get-ClutterBackup <location> -Database <name> -Latest), or restore each database into its own target.",
            target.Display);
    }

    /// <summary>The errors a finished restore's verification raises (its result's Problems): RowCountMismatch, DefinitionMismatch.</summary>
    private static IEnumerable<ClutterException> VerificationProblems(RestoreResult result)
    {
        var rows = result.Tables.Where(t => !t.RowsMatch).ToList();
        if (rows.Count > 0)
            yield return new ClutterException(Errors.RowCountMismatch,
                $"The restore into {result.Database} finished, but row counts differ from the backup's manifest: {string.Join("; ", rows)}. Check the target before using it.",
                result);
        var definitions = result.Tables.Where(t => t.RowsMatch && t.DefinitionMatches == false).Select(t => t.QualifiedName).ToList();
        if (definitions.Count > 0)
            yield return new ClutterException(Errors.DefinitionMismatch,
                $"The restore into {result.Database} finished, but the definition (columns, constraints, indexes, triggers or policies) of {string.Join(", ", definitions)} differs from the one the backup recorded. " +
                "Compare them (psql \\d) before using the target: a table restored without its keys or indexes is not what was backed up.",
                result);
    }

    private static ClutterException RestoreFailed(PgProcess proc, int exit, PgConnectionSettings target, string backupText) =>
        new(Errors.RestoreFailed,
            $"{proc.ToolName} failed restoring '{backupText}' into {target.Display} ({PgProcess.DescribeExit(exit)}); its transaction was rolled back, so the target is as it was. {proc.ToolName} said: {proc.StandardErrorTail}",
            target.Database);

    private static async Task<bool> TargetExistsAsync(PgConnectionSettings target, CancellationToken cancellationToken)
    {
        try
        {
            await using var c = await PgErrors.OpenAsync(target, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ClutterException e) when (e.ErrorId == "DatabaseNotFound")
        {
            return false;
        }
    }

    private static async Task<NpgsqlConnection> OpenMaintenanceAsync(PgConnectionSettings target, CancellationToken cancellationToken)
    {
        try
        {
            return await PgErrors.OpenAsync(target.WithDatabase("postgres"), cancellationToken).ConfigureAwait(false);
        }
        catch (ClutterException e) when (e.ErrorId == "DatabaseNotFound")
        {
            return await PgErrors.OpenAsync(target.WithDatabase("template1"), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CreateDatabaseAsync(PgConnectionSettings target, CancellationToken cancellationToken)
    {
        await using var c = await OpenMaintenanceAsync(target, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var cmd = new NpgsqlCommand($"create database {PgCatalog.QuoteIdent(target.Database)}", c);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _sink.Verbose($"Created database {target.Database} on {target.Host}:{target.Port}.");
        }
        catch (Exception e) { throw PgErrors.Map(e, target); }
    }

    private async Task DropDatabaseQuietlyAsync(PgConnectionSettings target)
    {
        try
        {
            await using var c = await OpenMaintenanceAsync(target, CancellationToken.None).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand($"drop database if exists {PgCatalog.QuoteIdent(target.Database)} with (force)", c);
            await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
            _sink.Verbose($"Dropped database {target.Database}, which this restore had created.");
        }
        catch (Exception e)
        {
            _sink.Warning($"The restore failed and the database {target.Database} it created could not be dropped: {target.Scrub(e.Message)}");
        }
    }

    private static async Task<TableVerification[]> VerifyAsync(PgConnectionSettings target, BackupManifest manifest, IReadOnlyList<(string Schema, string Name)>? selected, CancellationToken cancellationToken)
    {
        var expected = manifest.Tables.AsEnumerable();
        if (selected is not null) expected = expected.Where(t => selected.Contains((t.Schema, t.Name)));
        var want = expected.ToList();
        await using var c = await PgErrors.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        var actual = (await PgCatalog.ListRelationsAsync(c, cancellationToken).ConfigureAwait(false))
            .Where(r => r.HasRows).ToDictionary(r => (r.Schema, r.Name));
        var definitions = want.Any(t => t.Definition is not null)
            ? await TableDefinitions.ReadAsync(c, want.Where(t => actual.ContainsKey((t.Schema, t.Name))).Select(t => actual[(t.Schema, t.Name)]), cancellationToken).ConfigureAwait(false)
            : new Dictionary<(string Schema, string Name), string>();
        var result = new List<TableVerification>();
        foreach (var t in want)
        {
            long? rows = null;
            if (actual.TryGetValue((t.Schema, t.Name), out var rel))
                rows = await PgCatalog.CountRowsAsync(c, rel, cancellationToken).ConfigureAwait(false);
            result.Add(new TableVerification
            {
                Schema = t.Schema, Name = t.Name, ExpectedRows = t.Rows, ActualRows = rows,
                ExpectedDefinition = t.Definition, ActualDefinition = definitions.GetValueOrDefault((t.Schema, t.Name)),
            });
        }
        return result.ToArray();
    }
}
