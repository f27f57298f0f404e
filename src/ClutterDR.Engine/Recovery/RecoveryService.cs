using System.Diagnostics;
using ClutterDR.Database;

namespace ClutterDR.Recovery;

/// <summary>
/// Test-ClutterRecovery: walks the guide's recovery checklist in its order, one RecoveryCheck per item and target,
/// each handed to the host as soon as it is made (a failed one also as a RecoveryCheckFailed problem). The items
/// no machine can check come out as Manual, and the machine-checked ones nobody asked for as Skipped, so the list
/// printed is the whole checklist. The database checks are here; storage and HTTP in RecoveryProbes.
/// </summary>
public sealed class RecoveryService(IEngineHost host)
{
    private readonly List<RecoveryCheck> _checks = new();

    public async Task<IReadOnlyList<RecoveryCheck>> RunAsync(RecoveryRequest request, CancellationToken cancellationToken)
    {
        var target = request.Database.Display;
        PgLiveDatabase? db = null;
        try
        {
            await CheckAsync(RecoveryChecklist.Connectivity, target, async () =>
            {
                db = await PgLiveDatabase.OpenAsync(request.Database, cancellationToken).ConfigureAwait(false);
                return (true, $"Connected as '{request.Database.Username}' to PostgreSQL {db.ServerVersion}.");
            }, cancellationToken).ConfigureAwait(false);

            await TableChecksAsync(db, request, cancellationToken).ConfigureAwait(false);
            if (request.RequiredExtensions.Count == 0) await SkipAsync(RecoveryChecklist.Extensions, "").ConfigureAwait(false);
            else if (db is null) foreach (var x in request.RequiredExtensions) await UnreachableAsync(RecoveryChecklist.Extensions, x).ConfigureAwait(false);
            else
            {
                var states = await Quietly(() => db.ExtensionsAsync(request.RequiredExtensions, cancellationToken)).ConfigureAwait(false);
                foreach (var name in request.RequiredExtensions)
                    await CheckAsync(RecoveryChecklist.Extensions, name, () =>
                    {
                        var s = states.Value?.FirstOrDefault(e => e.Name == name);
                        if (states.Error is not null) throw states.Error;
                        return Task.FromResult(s is { InstalledVersion: { } v } ? (true, $"Installed, version {v}.")
                            : (false, s is { Available: true }
                                ? $"Not installed in database '{request.Database.Database}'; the server offers it: CREATE EXTENSION {PgCatalog.QuoteIdent(name)};"
                                : $"Not installed in database '{request.Database.Database}', and the server does not offer it: install its package on the server first."));
                    }, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (db is not null) await db.DisposeAsync().ConfigureAwait(false);
        }

        var probes = new RecoveryProbes(request, cancellationToken);
        try
        {
            if (request.StorageLocation is null) await SkipAsync(RecoveryChecklist.Storage, "").ConfigureAwait(false);
            else await CheckAsync(RecoveryChecklist.Storage, request.StorageLocation.ToString(), probes.StorageAsync, cancellationToken).ConfigureAwait(false);
            if (request.SampleObjects.Count == 0) await SkipAsync(RecoveryChecklist.Media, "").ConfigureAwait(false);
            foreach (var sample in request.SampleObjects)
                await CheckAsync(RecoveryChecklist.Media, probes.DescribeSample(sample), () => probes.SampleAsync(sample), cancellationToken).ConfigureAwait(false);
            foreach (var step in new[] { RecoveryChecklist.Authentication, RecoveryChecklist.Api, RecoveryChecklist.Admin })
                await ManualAsync(step).ConfigureAwait(false);
            if (request.HealthUris.Count == 0) await SkipAsync(RecoveryChecklist.Health, "").ConfigureAwait(false);
            foreach (var uri in request.HealthUris)
                await CheckAsync(RecoveryChecklist.Health, RecoveryProbes.Describe(uri), () => probes.HealthAsync(uri), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            probes.Dispose();
        }
        foreach (var step in RecoveryChecklist.Steps.Where(s => s >= RecoveryChecklist.Monitoring))
            await ManualAsync(step).ConfigureAwait(false);
        return _checks;
    }

    private async Task TableChecksAsync(PgLiveDatabase? db, RecoveryRequest request, CancellationToken cancellationToken)
    {
        const int step = RecoveryChecklist.Tables;
        if (request.Backup is null && request.ExpectedTables.Count == 0) { await SkipAsync(step, "").ConfigureAwait(false); return; }
        var targets = (request.Backup is null ? [] : new[] { request.Backup.Location }).Concat(request.ExpectedTables).ToList();
        if (db is null) { foreach (var t in targets) await UnreachableAsync(step, t).ConfigureAwait(false); return; }
        var relations = await Quietly(() => db.RelationsAsync(cancellationToken)).ConfigureAwait(false);
        if (request.Backup is { } backup)
            await CheckAsync(step, backup.Location, async () =>
            {
                var tables = (relations.Value ?? throw relations.Error!).Where(r => r.HasRows).ToList();
                if (backup.Tables.Length == 0) return (false, "The backup's manifest records no tables to compare with; give -ExpectedTable.");
                var problems = new List<string>();
                long rows = 0;
                foreach (var expected in backup.Tables)
                {
                    var table = tables.FirstOrDefault(r => r.Schema == expected.Schema && r.Name == expected.Name);
                    if (table is null) { problems.Add($"{expected.QualifiedName} is missing (the backup had {expected.Rows} rows)"); continue; }
                    var actual = await db.CountRowsAsync(table, cancellationToken).ConfigureAwait(false);
                    rows += actual;
                    if (actual < expected.Rows) problems.Add($"{expected.QualifiedName} has {actual} rows, the backup had {expected.Rows}");
                }
                return problems.Count == 0
                    ? (true, $"All {backup.Tables.Length} tables of the backup of {Stamp(backup.CreatedUtc)} are present, each with at least its rows ({rows} rows now).")
                    : (false, $"{problems.Count} of {backup.Tables.Length} tables of the backup of {Stamp(backup.CreatedUtc)}: {string.Join("; ", problems.Take(10))}{(problems.Count > 10 ? "; ..." : "")}.");
            }, cancellationToken).ConfigureAwait(false);
        foreach (var pattern in request.ExpectedTables)
            await CheckAsync(step, pattern, () =>
            {
                var parsed = PgNamePattern.Parse(pattern);
                var matched = (relations.Value ?? throw relations.Error!).Where(r => parsed.Matches(r.Schema, r.Name)).Select(r => r.Schema + "." + r.Name).ToList();
                return Task.FromResult(matched.Count > 0
                    ? (true, $"Present: {string.Join(", ", matched.Take(5))}{(matched.Count > 5 ? $" and {matched.Count - 5} more" : "")}.")
                    : (false, $"No table of database '{request.Database.Database}' matches '{pattern}' (names are case-sensitive inside double quotes; \\dt in psql lists them)."));
            }, cancellationToken).ConfigureAwait(false);
    }

    internal static string Stamp(DateTime utc) => utc.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A value or the failure that kept it (the checks that need it each fail with it).</summary>
    private static async Task<(T? Value, Exception? Error)> Quietly<T>(Func<Task<T>> work) where T : class
    {
        try { return (await work().ConfigureAwait(false), null); }
        catch (Exception e) when (e is not OperationCanceledException) { return (null, e); }
    }

    /// <summary>Runs one check: timed, emitted; an exception is a failure with its message (and ErrorId).</summary>
    private async Task CheckAsync(int step, string target, Func<Task<(bool Ok, string Detail)>> check, CancellationToken cancellationToken)
    {
        host.Verbose($"Recovery check {step} ({RecoveryChecklist.Title(step)}): {target}");
        var watch = Stopwatch.StartNew();
        RecoveryCheckStatus status;
        string detail;
        string? errorId = null;
        try
        {
            var (ok, text) = await check().ConfigureAwait(false);
            (status, detail) = (ok ? RecoveryCheckStatus.Passed : RecoveryCheckStatus.Failed, text);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
        catch (ClutterException e) { (status, detail, errorId) = (RecoveryCheckStatus.Failed, e.Message, e.ErrorId); }
        catch (Exception e) { (status, detail) = (RecoveryCheckStatus.Failed, RecoveryProbes.Explain(e)); }
        await EmitAsync(new RecoveryCheck
        {
            Step = step, Check = RecoveryChecklist.Title(step), Target = target, Status = status, Detail = detail,
            Duration = watch.Elapsed, CheckedUtc = DateTime.UtcNow, ErrorId = errorId,
        }).ConfigureAwait(false);
    }

    private Task SkipAsync(int step, string target) => EmitAsync(new RecoveryCheck
    {
        Step = step, Check = RecoveryChecklist.Title(step), Target = target, Status = RecoveryCheckStatus.Skipped,
        Detail = RecoveryChecklist.SkipReason(step), CheckedUtc = DateTime.UtcNow,
    });

    private Task UnreachableAsync(int step, string target) => EmitAsync(new RecoveryCheck
    {
        Step = step, Check = RecoveryChecklist.Title(step), Target = target, Status = RecoveryCheckStatus.Skipped,
        Detail = "Not checked: the database could not be reached (item 1).", CheckedUtc = DateTime.UtcNow,
    });

    private Task ManualAsync(int step) => EmitAsync(new RecoveryCheck
    {
        Step = step, Check = RecoveryChecklist.Title(step), Status = RecoveryCheckStatus.Manual,
        Detail = RecoveryChecklist.ManualHint(step) ?? "", CheckedUtc = DateTime.UtcNow,
    });

    private async Task EmitAsync(RecoveryCheck check)
    {
        _checks.Add(check);
        await host.ItemAsync(check).ConfigureAwait(false);
        if (check.Status == RecoveryCheckStatus.Failed)
            await host.ProblemAsync(new ClutterException(Errors.RecoveryCheckFailed,
                $"Recovery check {check.Step} ({check.Check}) failed for '{check.Target}': {check.Detail} {RecoveryChecklist.FailureHint(check.Step)}",
                check.Target)).ConfigureAwait(false);
    }
}
