using System.Diagnostics;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Restore;

namespace ClutterDR.Drill;

/// <summary>The drill's middle: create the scratch database, restore into it, run every check, and what each found.</summary>
public sealed partial class DrillService
{
    /// <summary>What one drill has found so far; the result is made from it at the end.</summary>
    private sealed class DrillRun(DrillRequest request, BackupManifest manifest, string backupText, PgConnectionSettings scratch, DateTime startedUtc)
    {
        public DrillRequest Request { get; } = request;
        public BackupManifest Manifest { get; } = manifest;
        public string BackupText { get; } = backupText;
        public PgConnectionSettings Scratch { get; } = scratch;
        public DateTime StartedUtc { get; } = startedUtc;
        public bool Created { get; set; }
        public TimeSpan RestoreDuration { get; set; }
        public List<DrillTable> Tables { get; } = new();
        public string Integrity { get; set; } = "Skipped";
        public string? IntegrityDetail { get; set; }
        public List<DrillCheck> Extensions { get; } = new();
        public List<DrillCheck> Queries { get; } = new();
        public List<string> Failures { get; } = new();

        public DrillResult Result(DateTime finishedUtc, string server)
        {
            var age = StartedUtc - Manifest.StartedUtc;
            bool? rpoMet = Request.RpoObjective is TimeSpan rpo ? age <= rpo : null;
            bool? rtoMet = Request.RtoObjective is TimeSpan rto ? RestoreDuration <= rto : null;
            var failures = new List<string>(Failures);
            if (rtoMet == false) failures.Add($"the restore and checks took {Format.Duration(RestoreDuration)}, more than -RtoObjective {Format.Duration(Request.RtoObjective!.Value)}");
            if (rpoMet == false) failures.Add($"the backup was {Format.Duration(age)} old, more than -RpoObjective {Format.Duration(Request.RpoObjective!.Value)}");
            return new DrillResult
            {
                Backup = BackupText, Database = Manifest.Database, ScratchDatabase = Scratch.Database, Server = server,
                BackupCreatedUtc = Manifest.StartedUtc, RestoreDuration = RestoreDuration, BackupAge = age,
                RtoObjective = Request.RtoObjective, RpoObjective = Request.RpoObjective, RtoMet = rtoMet, RpoMet = rpoMet,
                Tables = Tables.ToArray(), IntegrityCheck = Integrity, IntegrityDetail = IntegrityDetail,
                Extensions = Extensions.ToArray(), Queries = Queries.ToArray(),
                Status = failures.Count == 0 ? "Passed" : "Failed", Failures = failures.ToArray(),
                StartedUtc = StartedUtc, FinishedUtc = finishedUtc, KeptDatabase = Request.KeepDatabase && Created,
            };
        }
    }

    private async Task RunChecksAsync(DrillRun run, CancellationToken cancellationToken)
    {
        var request = run.Request;
        var scratch = run.Scratch;
        var watch = Stopwatch.StartNew();
        if (await PgDatabases.ExistsAsync(scratch, cancellationToken).ConfigureAwait(false))
            throw new ClutterException(Errors.DrillDatabaseExists,
                $"The scratch database {scratch.Database} already exists on {PgServerIdentity.ServerOf(scratch)}; the drill did not touch it. Drop it if it is a kept drill's (DROP DATABASE \"{scratch.Database}\"), or run the drill again.",
                scratch.Database);
        await PgDatabases.CreateAsync(scratch, cancellationToken).ConfigureAwait(false);
        run.Created = true;
        _host.Verbose($"Created the scratch database {scratch.Database} on {PgServerIdentity.ServerOf(scratch)}.");

        RestoreResult? restored;
        try
        {
            restored = await new RestoreService(new ConfirmedHost(_host)).RunAsync(new RestoreRequest
            {
                Target = scratch, Backup = request.Backup, S3 = request.S3,
                NoOwner = request.NoOwner, Decryption = request.Decryption,
                // The scratch database is plain PostgreSQL, whatever the backup came from (issue 13's target handling).
                TargetKind = TargetKind.PostgreSQL, CreateMissingRoles = request.CreateMissingRoles, NoPrivileges = request.NoPrivileges,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ClutterException e) when (!e.Terminating || e.Is(Errors.RestoreFailed))
        {
            run.RestoreDuration = watch.Elapsed;
            run.Failures.Add($"the restore failed ({e.ErrorId}): {e.Message}");
            return;
        }
        if (restored is null) throw new InvalidOperationException("The restore was declined by a host that consents to everything.");
        foreach (var t in restored.Tables)
            run.Tables.Add(new DrillTable { Schema = t.Schema, Name = t.Name, ExpectedRows = t.ExpectedRows, ActualRows = t.ActualRows, Ok = t.Matches });
        foreach (var t in restored.Tables.Where(t => !t.RowsMatch))
            run.Failures.Add($"{t.QualifiedName} has {t.ActualRows?.ToString() ?? "no table and so no"} rows, the manifest counted {t.ExpectedRows}");
        foreach (var t in restored.Tables.Where(t => t.RowsMatch && t.DefinitionMatches == false))
            run.Failures.Add($"the definition of {t.QualifiedName} differs from the one the backup recorded");

        // Extensions and queries before pg_amcheck, whose --install-missing adds the amcheck extension.
        foreach (var e in await PgDrillChecks.ExtensionsAsync(scratch, request.RequiredExtensions, cancellationToken).ConfigureAwait(false))
        {
            run.Extensions.Add(new DrillCheck { Name = e.Name, Passed = e.Passed, Detail = e.Detail });
            if (!e.Passed) run.Failures.Add($"the required extension {e.Name} is {e.Detail}");
        }
        foreach (var (name, sql) in request.Queries)
        {
            var q = await PgDrillChecks.QueryAsync(scratch, name, sql, cancellationToken).ConfigureAwait(false);
            run.Queries.Add(new DrillCheck { Name = q.Name, Passed = q.Passed, Detail = q.Detail });
            if (!q.Passed) run.Failures.Add($"the query '{name}' does not hold: it {q.Detail}");
        }
        if (!request.NoIntegrityCheck)
        {
            var integrity = await CheckIntegrityAsync(scratch, cancellationToken).ConfigureAwait(false);
            run.Integrity = integrity.Passed ? "Passed" : "Failed";
            run.IntegrityDetail = integrity.Detail;
            if (!integrity.Passed) run.Failures.Add($"pg_amcheck found corruption: {integrity.Detail}");
        }
        run.RestoreDuration = watch.Elapsed;
    }

    /// <summary>The drill's integrity check (pg_amcheck, heap and B-tree) on any database: also run again on a kept scratch database.</summary>
    public async Task<PgCheckOutcome> CheckIntegrityAsync(PgConnectionSettings database, CancellationToken cancellationToken)
    {
        _host.Verbose($"Checking {database.Database} with pg_amcheck (heap and B-tree indexes).");
        return await PgDrillChecks.IntegrityAsync(database, cancellationToken).ConfigureAwait(false);
    }
}
