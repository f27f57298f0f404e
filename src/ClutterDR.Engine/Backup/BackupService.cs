using System.Diagnostics;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Backup;

/// <summary>
/// One backup as one stream: pg_dump (no compression of its own) -> compress -> hash -> repository,
/// no temporary file; row counts taken in the dump's own snapshot; the manifest written last.
/// </summary>
public sealed class BackupService
{
    /// <summary>
    /// The manifest's "tool": "ClutterDR &lt;version&gt;", the version being the module's (ClutterDR.psd1's
    /// ModuleVersion, which the build gives every assembly), without the "+commit" the SDK appends.
    /// </summary>
    public static readonly string ToolName = "ClutterDR " + ProductVersion(typeof(BackupService).Assembly);

    internal static string ProductVersion(System.Reflection.Assembly assembly)
    {
        var informational = System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(assembly)?.InformationalVersion;
        if (string.IsNullOrEmpty(informational)) return assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        var plus = informational.IndexOf('+');
        return plus >= 0 ? informational[..plus] : informational;
    }

    private readonly IEngineHost _sink;
    private readonly TimeProvider _clock;
    private readonly BackupNameClaims _claims;

    /// <param name="clock">The time a backup is named after; the system clock unless a test fixes it.</param>
    public BackupService(IEngineHost sink, TimeProvider? clock = null)
    {
        _sink = sink;
        _clock = clock ?? TimeProvider.System;
        _claims = new BackupNameClaims(sink);
    }

    /// <summary>One backup to request.Destination (request.Copies must be empty): its BackupInfo, or the failure.</summary>
    public async Task<BackupInfo> RunAsync(BackupRequest request, CancellationToken cancellationToken)
    {
        if (request.Copies.Count > 0) throw new ArgumentException("A request with copies returns several backups: call RunAllAsync.", nameof(request));
        return (await RunAllAsync(request, cancellationToken).ConfigureAwait(false)).Backups[0];
    }

    /// <summary>What the database side of a backup has ready when the dump starts.</summary>
    private sealed record DumpPlan(BackupRequest Request, StoredFormat Format, PgTool PgDump, string ServerVersion, List<string> Arguments,
        PgSnapshot Snapshot, List<PgRelation> Tables, DateTime Started, long? Expected, Stopwatch Total, string? Platform,
        Task<(string Sql, IReadOnlyList<string> Roles)>? Roles)
    {
        /// <summary>The source server, recorded in the manifest so a restore drill can refuse it.</summary>
        public PgServerIdentity? Source { get; init; }
    }


    /// <summary>
    /// The database read once, the same stored bytes written to request.Destination and to every one of
    /// request.Copies, each copy with its own name, claim and manifest. A copy that fails (its destination
    /// unreachable, refused, full) is dropped and leaves no trace there, and the others go on, as long as
    /// request.MinimumCopies (default: all) can still commit; else nothing is kept anywhere. With one
    /// destination its failure is thrown as it is.
    /// </summary>
    public async Task<BackupOutcome> RunAllAsync(BackupRequest request, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var conn = request.Connection;
        var level = StoredFormat.CheckLevel(request.Compression, request.CompressionLevel);
        var (destinations, minimum) = CheckDestinations(request);
        var debrisAge = request.DebrisMinimumAge ?? DebrisService.ConfiguredMinimumAge();
        // Keys first: a bad key file fails before the database or the destination is touched.
        var format = new StoredFormat(request.Compression, level, request.Encryption.Enabled ? EncryptionPlan.Prepare(request.Encryption) : null);

        // The destination checks run while the database is opened and read: the first S3 request of a
        // process costs most of a second of SDK start-up.
        var uploadOptions = (request.Upload ?? new S3UploadOptions()) with { ExpectedSize = request.ExpectedSize, ObjectLock = request.ObjectLock };
        var copies = new CopySet(destinations.Select(d => new BackupCopy(BackupRepository.Open(d, request.S3, uploadOptions))).ToList(), minimum, _sink, _claims.ReleaseAsync);
        try
        {
            copies.StartWritableChecks(cancellationToken);
            await using var db = await PgErrors.OpenAsync(conn, cancellationToken).ConfigureAwait(false);
            var serverVersion = db.ServerVersion;
            var source = await PgServerIdentity.ReadAsync(db, conn, cancellationToken).ConfigureAwait(false);
            var pgDump = PgTools.Find("pg_dump", db.PostgreSqlVersion.Major);
            _sink.Verbose($"Using {pgDump.Description} for PostgreSQL {serverVersion} at {conn.Display}.");
            var tables = await PgCatalog.SelectTablesAsync(db, conn, request.Tables, request.ExcludeTables, cancellationToken).ConfigureAwait(false);
            var platform = await PgPlatform.IsSupabaseAsync(db, cancellationToken).ConfigureAwait(false) ? "Supabase" : null;
            // -IncludeRoles: the cluster's roles are read beside the dump (they are not in its snapshot).
            var roles = request.IncludeRoles ? PgRoles.DumpAsync(conn, db.PostgreSqlVersion.Major, cancellationToken) : null;
            _ = roles?.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);

            await copies.AwaitEachAsync(c => c.Pending!).ConfigureAwait(false);
            copies.StartPreparations(conn.Database, debrisAge, cancellationToken);
            // The previous backup's raw size (at the first destination) is the best estimate of this one's: one
            // listing and one manifest read, while the snapshot is taken.
            var previous = PreviousBackup.FindAsync(copies.Alive[0].Repository, conn.Database, cancellationToken);
            _ = previous.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted); // observed, should the snapshot fail first

            // The dump's snapshot: held open until pg_dump is done; our row counts run inside it.
            await using var snapshot = await PgSnapshot.BeginAsync(db, conn, tables, cancellationToken).ConfigureAwait(false);
            var args = PgDump.Arguments(request.Format, snapshot.Id, conn, request.Tables, request.ExcludeTables);

            foreach (var c in copies.Alive) await c.Pending!.ConfigureAwait(false); // the debris sweeps: they never fail
            var expected = (await previous.ConfigureAwait(false)).Expect(_sink, conn.Database, request.Format, tables, snapshot.EstimatedDumpBytes);
            // Nothing between a name's claim and the try below can fail: the catch gives the claims back.
            var started = _clock.GetUtcNow().UtcDateTime;
            var extension = format.ExtensionFor(request.Format);
            await copies.EachAsync(async c =>
            {
                (c.Name, c.Writer, c.Claim) = await _claims.CreateUniqueAsync(c.Repository, c.CanClaim!, conn.Database, started, extension, request.StorageClass, cancellationToken).ConfigureAwait(false);
                c.Location = c.Repository.Describe(c.Name.Key);
                if (expected is long expectedBytes) c.Writer.ExpectSize(expectedBytes);
            }).ConfigureAwait(false);
            var plan = new DumpPlan(request, format, pgDump, serverVersion, args, snapshot, tables, started, expected, total, platform, roles) { Source = source };
            return await DumpAndCommitAsync(plan, copies, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Whatever stopped the backup: every copy not committed leaves nothing behind.
            await copies.UndoUncommittedAsync().ConfigureAwait(false);
            if (e is TooFewCopiesException few) throw few.ToClutterException(copies);
            throw;
        }
        finally
        {
            await copies.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The destinations (Destination, then Copies) and how many must commit: refused when given twice, or when a lock needs S3.</summary>
    private static (List<BackupLocation> Destinations, int Minimum) CheckDestinations(BackupRequest request)
    {
        var destinations = new List<BackupLocation> { request.Destination };
        destinations.AddRange(request.Copies);
        var twice = destinations.GroupBy(d => d.ToString(), StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new ClutterException(Errors.DuplicateDestination,
                $"'{twice.Key}' is given twice as a destination. Give each copy its own location.", twice.Key);
        var minimum = request.MinimumCopies ?? destinations.Count;
        if (minimum < 1 || minimum > destinations.Count)
            throw new ClutterException(Errors.InvalidMinimumCopies,
                $"-MinimumCopies {minimum} does not fit {destinations.Count} destination{(destinations.Count == 1 ? "" : "s")}: give 1 to {destinations.Count}.", minimum);
        foreach (var d in destinations)
            if (request.ObjectLock is not null && !d.IsS3)
                throw new ClutterException(Errors.ObjectLockNeedsS3,
                    $"-RetainUntil locks objects with S3 Object Lock, which a folder ('{d}') does not have. Back up to an s3:// bucket with Object Lock enabled, or leave out -RetainUntil (and protect the folder another way, e.g. a read-only snapshot).",
                    d.ToString());
        return (destinations, minimum);
    }

    /// <summary>pg_dump through the stored format to every copy; then the data objects committed and the manifests written.</summary>
    private async Task<BackupOutcome> DumpAndCommitAsync(DumpPlan plan, CopySet copies, CancellationToken cancellationToken)
    {
        var conn = plan.Request.Connection;
        var first = copies.Alive[0];
        // The activity names the object in full; the locations (which can be long) are in the verbose stream.
        var progress = new ByteProgress(_sink, $"Backing up {first.Name!.FileName}", plan.Expected);
        var watch = Stopwatch.StartNew();
        PgProcess? dump = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<List<TableRowCount>>? countTask = null;
        try
        {
            _sink.Verbose($"Backing up {conn.Display} ({plan.Tables.Count} tables, about {Format.Bytes(plan.Snapshot.EstimatedDumpBytes)} of table data) to {string.Join(" and ", copies.Alive.Select(c => c.Location))}; prepared in {Format.Duration(plan.Total.Elapsed)}.");
            dump = PgProcess.Start(plan.PgDump, plan.Arguments, conn, redirectInput: false, redirectOutput: true);
            countTask = plan.Snapshot.CountRowsAsync(plan.Tables, stop.Token);
            var source = dump.StandardOutput;
            // pg_dump -> compress -> [encrypt] -> hash -> store: the hash covers the bytes as stored.
            var stored = await copies.WriteAllAsync(async destination =>
            {
                await using var chain = plan.Format.OpenWrite(destination, first.Name.FileName[..^4], plan.Started);
                await chain.PumpAsync(source, done => progress.Report(done), cancellationToken).ConfigureAwait(false);
                return await chain.CompleteAsync().ConfigureAwait(false);
            }).ConfigureAwait(false);

            var exit = await dump.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var streamed = watch.Elapsed;
            var counts = await RowCountsAsync(dump, exit, countTask, stop, conn).ConfigureAwait(false);
            await copies.CommitDataAsync(stored.Sha256, cancellationToken).ConfigureAwait(false);
            progress.Report(stored.RawBytes);
            var manifests = new ManifestWriter(plan.Request, plan.Format, plan.PgDump, plan.ServerVersion, plan.Started, _clock) { Platform = plan.Platform, Source = plan.Source };
            if (plan.Roles is not null)
            {
                manifests.Roles = await plan.Roles.ConfigureAwait(false);
                _sink.Verbose($"Stored {manifests.Roles.Value.Roles.Count} role{(manifests.Roles.Value.Roles.Count == 1 ? "" : "s")} of the project with the backup ({string.Join(", ", manifests.Roles.Value.Roles)}), without passwords: set them again after a restore.");
            }
            await manifests.CommitAsync(copies, stored, counts, _claims, _sink, cancellationToken).ConfigureAwait(false);
            var lockInfo = plan.Request.ObjectLock;
            if (lockInfo is not null)
                _sink.Verbose($"The data object{(copies.Alive.Count > 1 ? "s" : "")} and the manifest{(copies.Alive.Count > 1 ? "s" : "")} are locked ({lockInfo.Mode} mode) until {lockInfo.RetainUntilUtc:yyyy-MM-dd HH:mm:ss}Z.");
            _sink.Verbose($"Backup of {conn.Database} complete: {Format.Bytes(stored.RawBytes)} dumped and {Format.Bytes(stored.StoredBytes)} stored {(copies.Alive.Count == 1 ? "" : $"{copies.Alive.Count} times ")}in {Format.Duration(streamed)}, committed in {Format.Duration(watch.Elapsed - streamed)}.");
            return new BackupOutcome(copies.Alive.Select(c => c.Info!).ToList(), copies.Failures, copies.Minimum);
        }
        catch (Exception e)
        {
            dump?.Kill();
            stop.Cancel();
            if (countTask is not null) try { await countTask.ConfigureAwait(false); } catch { /* superseded by e */ }
            if (e is OperationCanceledException || cancellationToken.IsCancellationRequested) throw new OperationCanceledException("The backup was stopped; nothing was kept.", e, cancellationToken);
            if (e is IOException && dump is { HasExited: true })
                throw PgDumpFailed(dump, await dump.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false), conn);
            throw;
        }
        finally
        {
            progress.Complete();
            dump?.Dispose();
        }
    }

    /// <summary>The row counts taken beside the dump, once pg_dump has exited; a failed dump is reported with its cause.</summary>
    private static async Task<List<TableRowCount>> RowCountsAsync(PgProcess dump, int exit, Task<List<TableRowCount>> countTask, CancellationTokenSource stop, PgConnectionSettings conn)
    {
        if (exit != 0)
        {
            // A failed count aborts the snapshot's transaction, which then fails pg_dump: report the cause.
            if (countTask.IsFaulted) throw PgErrors.Map(countTask.Exception!.InnerException!, conn);
            stop.Cancel();
            try { await countTask.ConfigureAwait(false); } catch { /* the dump's failure is the one to report */ }
            throw PgDumpFailed(dump, exit, conn);
        }
        try { return await countTask.ConfigureAwait(false); }
        catch (Exception e) { throw PgErrors.Map(e, conn); }
    }

    private static ClutterException PgDumpFailed(PgProcess dump, int exit, PgConnectionSettings conn)
    {
        var stderr = dump.StandardErrorTail;
        return new ClutterException(Errors.PgDumpFailed,
            $"pg_dump of {conn.Display} failed ({PgProcess.DescribeExit(exit)}); no backup was kept. pg_dump said: {(stderr.Length > 0 ? stderr : "(nothing)")}",
            conn.Database);
    }
}
