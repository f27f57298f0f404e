using System.Data;
using System.Diagnostics;
using Npgsql;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Database;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Backup;

public sealed record BackupRequest
{
    public required PgConnectionSettings Connection { get; init; }
    public required BackupLocation Destination { get; init; }
    public S3Options S3 { get; init; } = new();
    public DumpFormat Format { get; init; } = DumpFormat.Custom;
    public CompressionKind Compression { get; init; } = CompressionKind.Zstd;
    public int? CompressionLevel { get; init; }
    public IReadOnlyList<string> Tables { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> ExcludeTables { get; init; } = Array.Empty<string>();
    public string? StorageClass { get; init; }
    public long? ExpectedSize { get; init; }
    /// <summary>OpenPGP encryption after compression, before the upload; off by default.</summary>
    public EncryptionOptions Encryption { get; init; } = new();
    /// <summary>S3 Object Lock retention for the data object and the manifest (S3 destinations only); null: none.</summary>
    public ObjectLock? ObjectLock { get; init; }
    /// <summary>More destinations for the same stored bytes (one database read), each with its own manifest.</summary>
    public IReadOnlyList<BackupLocation> Copies { get; init; } = Array.Empty<BackupLocation>();
    /// <summary>How many of Destination + Copies must commit for the backup to succeed; null: all of them.</summary>
    public int? MinimumCopies { get; init; }
    /// <summary>Part size and parts in flight of an S3 upload (tests make parts small); ExpectedSize above still applies.</summary>
    internal S3UploadOptions? Upload { get; init; }
    /// <summary>
    /// Debris (unfinished uploads, partial files) of this database older than this is removed before the backup
    /// writes; null: <see cref="DebrisService.ConfiguredMinimumAge"/> (24 hours, or CLUTTERDR_DEBRIS_MIN_AGE).
    /// </summary>
    public TimeSpan? DebrisMinimumAge { get; init; }
}

/// <summary>
/// What a backup to several destinations kept: one BackupInfo per committed copy, the failures of the copies
/// dropped, and whether at least MinimumCopies committed (Shortfall says what is missing when not).
/// </summary>
public sealed record BackupOutcome(IReadOnlyList<BackupInfo> Backups, IReadOnlyList<ClutterException> FailedCopies, int Minimum)
{
    public bool MinimumMet => Backups.Count >= Minimum;

    public ClutterException? Shortfall => MinimumMet ? null : new ClutterException(Errors.TooFewCopies,
        $"Only {Backups.Count} of {Backups.Count + FailedCopies.Count} copies committed and {Minimum} {(Minimum == 1 ? "is" : "are")} needed. The committed {(Backups.Count == 1 ? "copy is a complete backup and was kept" : "copies are complete backups and were kept")}: {string.Join(", ", Backups.Select(b => b.Location))}. The others failed: {string.Join("; ", FailedCopies.Select(f => f.Message))}",
        string.Join(", ", FailedCopies.Select(f => f.Target?.ToString())));
}

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

    /// <param name="clock">The time a backup is named after; the system clock unless a test fixes it.</param>
    public BackupService(IEngineHost sink, TimeProvider? clock = null)
    {
        _sink = sink;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>One backup to request.Destination (request.Copies must be empty): its BackupInfo, or the failure.</summary>
    public async Task<BackupInfo> RunAsync(BackupRequest request, CancellationToken cancellationToken)
    {
        if (request.Copies.Count > 0) throw new ArgumentException("A request with copies returns several backups: call RunAllAsync.", nameof(request));
        return (await RunAllAsync(request, cancellationToken).ConfigureAwait(false)).Backups[0];
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
        var level = request.CompressionLevel ?? Compression.DefaultLevel(request.Compression);
        var (minLevel, maxLevel) = Compression.LevelRange(request.Compression);
        if (request.CompressionLevel is not null && (level < minLevel || level > maxLevel))
            throw new ClutterException(Errors.InvalidCompressionLevel,
                request.Compression == CompressionKind.None
                    ? "-CompressionLevel needs -Compression Zstd or Gzip."
                    : $"-CompressionLevel {level} is out of range for {request.Compression}: use {minLevel} to {maxLevel}.", level);

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

        var debrisAge = request.DebrisMinimumAge ?? DebrisService.ConfiguredMinimumAge();
        // Keys first: a bad key file fails before the database or the destination is touched.
        var encryption = request.Encryption.Enabled ? EncryptionPlan.Prepare(request.Encryption) : null;

        // The destination checks run while the database is opened and read: the first S3 request of a
        // process costs most of a second of SDK start-up.
        var uploadOptions = (request.Upload ?? new S3UploadOptions()) with { ExpectedSize = request.ExpectedSize, ObjectLock = request.ObjectLock };
        var copies = new CopySet(destinations.Select(d => new Copy(RepositoryFactory.Open(d, request.S3, uploadOptions))).ToList(), minimum, _sink, ReleaseAsync);
        try
        {
            foreach (var c in copies.All)
            {
                var repository = c.Repository;
                c.Pending = Task.Run(() => repository.EnsureWritableAsync(cancellationToken), cancellationToken);
                _ = c.Pending.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted); // observed, should a database error come first
            }

            await using var db = await PgErrors.OpenAsync(conn, cancellationToken).ConfigureAwait(false);
            var serverMajor = db.PostgreSqlVersion.Major;
            var serverVersion = db.ServerVersion;
            var pgDump = PgTools.Find("pg_dump", serverMajor);
            _sink.Verbose($"Using {pgDump.Description} for PostgreSQL {serverVersion} at {conn.Display}.");

            List<PgRelation> relations;
            try
            {
                relations = PgCatalog.Select(await PgCatalog.ListRelationsAsync(db, cancellationToken).ConfigureAwait(false),
                    request.Tables, request.ExcludeTables, conn.Database);
            }
            catch (Exception e) { throw PgErrors.Map(e, conn); }
            var tables = relations.Where(r => r.HasRows).ToList();

            await copies.AwaitEachAsync(c => c.Pending!).ConfigureAwait(false);
            foreach (var c in copies.Alive)
            {
                // Whether names can be claimed there (an S3 endpoint is probed once per process), found out meanwhile.
                c.CanClaim = c.Repository.CanClaimAsync(cancellationToken);
                _ = c.CanClaim.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted); // observed, should the snapshot fail first
                // What killed backups of this database left (never fails the backup); done before this backup creates anything.
                c.Pending = DebrisService.RemoveForBackupAsync(c.Repository, conn.Database, debrisAge, _sink, cancellationToken);
                _ = c.Pending.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            }
            // The previous backup's raw size (at the first destination) is the best estimate of this one's: one
            // listing and one manifest read, while the snapshot is taken.
            var previous = PreviousBackupAsync(copies.Alive[0].Repository, conn.Database, cancellationToken);
            _ = previous.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted); // observed, should the snapshot fail first

            // The dump's snapshot: held open until pg_dump is done; our row counts run inside it.
            await using var tx = await db.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            string snapshot;
            long estimate;
            try
            {
                await using (var ro = new NpgsqlCommand("set transaction read only", db, tx))
                    await ro.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await using (var snap = new NpgsqlCommand("select pg_catalog.pg_export_snapshot()", db, tx))
                    snapshot = (string)(await snap.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                estimate = await PgCatalog.EstimateDumpBytesAsync(db, tables, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) { throw PgErrors.Map(e, conn); }

            var args = new List<string>
            {
                "--format=" + (request.Format == DumpFormat.Custom ? "custom" : "plain"),
                "--snapshot=" + snapshot,
                "--no-password",
                "--dbname=" + conn.DbnameArgument,
            };
            if (request.Format == DumpFormat.Custom) args.Add("--compress=0"); // we compress, faster, in the stream
            else { args.Add("--clean"); args.Add("--if-exists"); }             // so that Restore -Clean works for plain dumps
            foreach (var t in request.Tables) args.Add("--table=" + t);
            foreach (var t in request.ExcludeTables) args.Add("--exclude-table=" + t);
            if (request.Tables.Count > 0) args.Add("--strict-names");

            foreach (var c in copies.Alive) await c.Pending!.ConfigureAwait(false); // the debris sweeps: they never fail
            var last = await previous.ConfigureAwait(false);
            if (last.Problem is not null) _sink.Verbose($"No previous backup of {conn.Database} to estimate the size from: {last.Problem}");
            var fromPrevious = last.Manifest is not null && ProgressEstimate.IsComparable(last.Manifest, conn.Database, request.Format, tables.Select(t => (t.Schema, t.Name)));
            var expected = ProgressEstimate.ForDump(fromPrevious ? last.Manifest!.RawBytes : null, estimate);
            _sink.Verbose(fromPrevious
                ? $"Expecting about {Format.Bytes(expected ?? 0)} of dump: the raw size of the previous backup {last.Location}."
                : $"Expecting about {Format.Bytes(expected ?? 0)} of dump: the tables' size on disk (no comparable previous backup{(last.Location is null ? "" : $"; {last.Location} is of other tables or another format")}); a dump is often larger, and the estimate grows when passed.");
            // Nothing between a name's claim and the try below can fail: the catch gives the claims back.
            var started = _clock.GetUtcNow().UtcDateTime;
            var encryptionKind = encryption is null ? EncryptionKind.None : EncryptionKind.OpenPgp;
            await copies.EachAsync(async c =>
            {
                (c.Name, c.Writer, c.Claim) = await CreateUniqueAsync(c.Repository, c.CanClaim!, conn.Database, started, request, encryptionKind, cancellationToken).ConfigureAwait(false);
                c.Location = c.Repository.Describe(c.Name.Key);
                if (expected is long expectedBytes) c.Writer.ExpectSize(expectedBytes);
            }).ConfigureAwait(false);
            var first = copies.Alive[0];
            // The activity names the object in full; the locations (which can be long) are in the verbose stream.
            var progress = new ByteProgress(_sink, $"Backing up {first.Name!.FileName}", expected);
            var watch = Stopwatch.StartNew();
            PgProcess? dump = null;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task<List<TableRowCount>>? countTask = null;
            try
            {
                _sink.Verbose($"Backing up {conn.Display} ({tables.Count} tables, about {Format.Bytes(estimate)} of table data) to {string.Join(" and ", copies.Alive.Select(c => c.Location))}; prepared in {Format.Duration(total.Elapsed)}.");
                dump = PgProcess.Start(pgDump, args, conn, redirectInput: false, redirectOutput: true);
                countTask = CountRowsAsync(db, tables, stop.Token);

                long rawBytes;
                string sha256;
                long storedBytes;
                // One copy writes to its stream itself; several share the stored bytes through a tee, which drops a
                // failing copy as long as enough are left.
                var writing = copies.Alive.ToList();
                var tee = writing.Count == 1 ? null : new TeeStream(writing.Select(c => c.Writer!.Stream).ToList(), copies.Minimum);
                try
                {
                    using var hashing = new HashingStream(tee ?? writing[0].Writer!.Stream);
                    // pg_dump -> compress -> [encrypt] -> hash -> store: the hash covers the bytes as stored.
                    using (var encrypted = encryption?.Open(hashing, first.Name.FileName[..^4], started))
                    await using (var compressor = Compression.Compress(request.Compression, level, encrypted ?? hashing))
                    {
                        rawBytes = await StreamPump.CopyAsync(dump.StandardOutput, compressor, done => progress.Report(done), cancellationToken).ConfigureAwait(false);
                    }
                    sha256 = hashing.FinishHash();
                    storedBytes = hashing.BytesCount;
                }
                finally
                {
                    if (tee is not null)
                        for (var i = 0; i < writing.Count; i++)
                            if (tee.FailureOf(i) is Exception dropped) copies.Drop(writing[i], dropped);
                }

                var exit = await dump.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                var streamed = watch.Elapsed;
                if (exit != 0)
                {
                    // A failed count aborts the snapshot's transaction, which then fails pg_dump: report the cause.
                    if (countTask.IsFaulted) throw PgErrors.Map(countTask.Exception!.InnerException!, conn);
                    stop.Cancel();
                    try { await countTask.ConfigureAwait(false); } catch { /* the dump's failure is the one to report */ }
                    throw PgDumpFailed(dump, exit, conn);
                }
                List<TableRowCount> counts;
                try { counts = await countTask.ConfigureAwait(false); }
                catch (Exception e) { throw PgErrors.Map(e, conn); }

                await copies.EachAsync(async c =>
                {
                    c.Writer!.DeclareSha256(sha256);
                    await c.Writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
                    c.DataCommitted = true;
                }).ConfigureAwait(false);
                progress.Report(rawBytes);

                BackupManifest ManifestOf(BackupName name) => new()
                {
                    Tool = ToolName,
                    Database = conn.Database,
                    ServerVersion = serverVersion,
                    PgDumpVersion = pgDump.Version.ToString(),
                    Format = request.Format,
                    Compression = request.Compression,
                    CompressionLevel = request.Compression == CompressionKind.None ? null : level,
                    Encryption = encryption is null ? new ManifestEncryption() : new ManifestEncryption
                    {
                        Mode = EncryptionKind.OpenPgp,
                        Method = encryption.Method,
                        Algorithm = "AES256",
                        RecipientFingerprints = encryption.Recipients.Count > 0 ? encryption.Recipients.Select(r => r.Fingerprint).Distinct().ToList() : null,
                    },
                    DataObject = name.FileName,
                    RawBytes = rawBytes,
                    StoredBytes = storedBytes,
                    Sha256 = sha256,
                    StartedUtc = started,
                    CompletedUtc = _clock.GetUtcNow().UtcDateTime,
                    Tables = counts,
                    ObjectLock = request.ObjectLock is null ? null : new ManifestObjectLock { Mode = request.ObjectLock.Mode.ToString(), RetainUntilUtc = request.ObjectLock.RetainUntilUtc },
                };
                // An archived manifest (GLACIER, DEEP_ARCHIVE) could not be read without a restore request, and
                // every listing reads manifests: it stays in STANDARD, only the data object is archived.
                var manifestClass = StorageClasses.ForManifest(request.StorageClass);
                if (manifestClass != request.StorageClass)
                    _sink.Verbose($"The data object is stored as {request.StorageClass}; its manifest stays in STANDARD so that listings can read it. Restore the data object from {request.StorageClass} (aws s3api restore-object) before Restore-ClutterDatabase.");
                // From here a copy that fails takes only itself: the others' manifests may already be committed.
                copies.Committing = true;
                await copies.EachAsync(async c =>
                {
                    var manifest = ManifestOf(c.Name!);
                    await c.Repository.PutAsync(c.Name!.ManifestKey, manifest.ToJson(), "application/json", manifestClass, cancellationToken).ConfigureAwait(false);
                    c.Info = BackupCatalog.ToInfo(manifest, c.Repository, c.Name, request.S3);
                    await ReleaseAsync(c.Repository, c.Claim).ConfigureAwait(false);
                    c.Claim = null;
                }).ConfigureAwait(false);
                if (request.ObjectLock is not null)
                    _sink.Verbose($"The data object{(copies.Alive.Count > 1 ? "s" : "")} and the manifest{(copies.Alive.Count > 1 ? "s" : "")} are locked ({request.ObjectLock.Mode} mode) until {request.ObjectLock.RetainUntilUtc:yyyy-MM-dd HH:mm:ss}Z.");
                _sink.Verbose($"Backup of {conn.Database} complete: {Format.Bytes(rawBytes)} dumped and {Format.Bytes(storedBytes)} stored {(copies.Alive.Count == 1 ? "" : $"{copies.Alive.Count} times ")}in {Format.Duration(streamed)}, committed in {Format.Duration(watch.Elapsed - streamed)}.");
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

    /// <summary>One destination of a backup and what it holds of it.</summary>
    private sealed class Copy
    {
        public Copy(BackupRepository repository) => Repository = repository;
        public BackupRepository Repository { get; }
        public Task? Pending { get; set; }
        public Task<bool>? CanClaim { get; set; }
        public BackupName? Name { get; set; }
        public IObjectWriter? Writer { get; set; }
        public string? Claim { get; set; }
        public string Location { get; set; } = "";
        public bool DataCommitted { get; set; }
        public BackupInfo? Info { get; set; }
        public Exception? Failure { get; set; }
    }

    private sealed class TooFewCopiesException : Exception
    {
        public ClutterException ToClutterException(CopySet copies)
        {
            var failed = copies.All.Where(c => c.Failure is not null).ToList();
            var why = string.Join("; ", failed.Select(c => $"{c.Repository.Location}: {c.Failure!.Message}"));
            return new ClutterException(Errors.TooFewCopies,
                $"Only {copies.All.Count - failed.Count} of {copies.All.Count} copies could be written and {copies.Minimum} {(copies.Minimum == 1 ? "is" : "are")} needed, so none was kept. {why}",
                string.Join(", ", copies.All.Select(c => c.Repository.Location.ToString())), failed[0].Failure);
        }
    }

    /// <summary>The copies of one backup: which are still going, and the rule that enough of them must be.</summary>
    private sealed class CopySet : IAsyncDisposable
    {
        private readonly IEngineHost _sink;
        private readonly Func<BackupRepository, string?, Task> _release;
        public CopySet(List<Copy> all, int minimum, IEngineHost sink, Func<BackupRepository, string?, Task> release)
        {
            All = all; Minimum = minimum; _sink = sink; _release = release;
        }
        public List<Copy> All { get; }
        public int Minimum { get; }
        /// <summary>Set once manifests are being written: a failure then drops its copy, and no longer the backup.</summary>
        public bool Committing { get; set; }
        public List<Copy> Alive => All.Where(c => c.Failure is null).ToList();
        public List<ClutterException> Failures => All.Where(c => c.Failure is not null).Select(c => c.Failure as ClutterException ?? new ClutterException(Errors.UnexpectedError, c.Failure!.Message, c.Repository.Location.ToString(), c.Failure)).ToList();

        /// <summary>Runs step on every live copy at once; a copy whose step fails is dropped (see Drop).</summary>
        public async Task EachAsync(Func<Copy, Task> step)
        {
            var alive = Alive;
            var runs = alive.Select(async c =>
            {
                try { await step(c).ConfigureAwait(false); return (Exception?)null; }
                catch (Exception e) when (e is not OperationCanceledException) { return e; }
            }).ToList();
            var results = await Task.WhenAll(runs).ConfigureAwait(false);
            for (var i = 0; i < alive.Count; i++)
                if (results[i] is Exception e) Drop(alive[i], e);
        }

        public Task AwaitEachAsync(Func<Copy, Task> task) => EachAsync(task);

        /// <summary>
        /// A copy failed: with one destination that is the backup's failure; with several the copy is undone
        /// and the others go on, unless fewer than Minimum are left before the manifests are written.
        /// </summary>
        public void Drop(Copy c, Exception e)
        {
            if (All.Count == 1) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
            if (c.Failure is not null) return;
            c.Failure = e;
            _ = UndoAsync(c); // leaves no trace there; awaited again by UndoUncommittedAsync/DisposeAsync
            if (!Committing && Alive.Count < Minimum) throw new TooFewCopiesException(); // the error says it all
            _sink.Warning($"The copy to {c.Repository.Location} failed and was dropped{(Committing && Alive.Count < Minimum ? "" : $"; the backup goes on with {Alive.Count} cop{(Alive.Count == 1 ? "y" : "ies")}")}: {e.Message}");
        }

        private readonly Dictionary<Copy, Task> _undo = new();

        private Task UndoAsync(Copy c)
        {
            lock (_undo)
            {
                if (!_undo.TryGetValue(c, out var t)) _undo[c] = t = UndoCoreAsync(c);
                return t;
            }
        }

        private async Task UndoCoreAsync(Copy c)
        {
            if (c.Info is not null) return; // committed: a complete backup is never removed
            if (c.Writer is not null) await c.Writer.AbortAsync().ConfigureAwait(false);
            if (c.DataCommitted && c.Name is not null)
            {
                // The manifest could not be written (a full disk, a refused request): a data object without its
                // manifest is no backup, and nothing would ever remove it.
                try { await c.Repository.DeleteAsync(c.Name.Key, CancellationToken.None).ConfigureAwait(false); }
                catch (Exception cleanup) { _sink.Verbose($"Could not remove {c.Location}, written without its manifest: {cleanup.Message}"); }
            }
            await _release(c.Repository, c.Claim).ConfigureAwait(false);
            c.Claim = null;
        }

        public async Task UndoUncommittedAsync()
        {
            foreach (var c in All.Where(c => c.Info is null)) await UndoAsync(c).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            List<Task> pending;
            lock (_undo) pending = _undo.Values.ToList();
            try { await Task.WhenAll(pending).ConfigureAwait(false); } catch { /* reported where it happened */ }
            foreach (var c in All)
            {
                if (c.Writer is not null) await c.Writer.DisposeAsync().ConfigureAwait(false);
                c.Repository.Dispose();
            }
        }
    }

    private sealed record PreviousBackup(BackupManifest? Manifest, string? Location, string? Problem);

    /// <summary>
    /// The newest backup of the database at the destination, if any: the catalog's listing (names sort by
    /// time) and one manifest read. A failure (a damaged manifest, no right to list) only costs the estimate.
    /// </summary>
    private static async Task<PreviousBackup> PreviousBackupAsync(BackupRepository repository, string database, CancellationToken cancellationToken)
    {
        try
        {
            var names = await BackupCatalog.ListManifestNamesAsync(repository, database, cancellationToken).ConfigureAwait(false);
            if (names.Count == 0) return new PreviousBackup(null, null, null);
            var location = repository.Describe(names[0].ManifestKey);
            var manifest = await BackupCatalog.ReadManifestAsync(repository, names[0].ManifestKey, cancellationToken).ConfigureAwait(false);
            return new PreviousBackup(manifest, location, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new PreviousBackup(null, null, e.Message);
        }
    }

    private static ClutterException PgDumpFailed(PgProcess dump, int exit, PgConnectionSettings conn)
    {
        var stderr = dump.StandardErrorTail;
        return new ClutterException(Errors.PgDumpFailed,
            $"pg_dump of {conn.Display} failed ({PgProcess.DescribeExit(exit)}); no backup was kept. pg_dump said: {(stderr.Length > 0 ? stderr : "(nothing)")}",
            conn.Database);
    }

    private static async Task<List<TableRowCount>> CountRowsAsync(NpgsqlConnection db, List<PgRelation> tables, CancellationToken cancellationToken)
    {
        var counts = new List<TableRowCount>(tables.Count);
        foreach (var t in tables)
            counts.Add(new TableRowCount(t.Schema, t.Name, await PgCatalog.CountRowsAsync(db, t, cancellationToken).ConfigureAwait(false)));
        var definitions = await TableDefinitions.ReadAsync(db, tables, cancellationToken).ConfigureAwait(false);
        foreach (var c in counts) c.Definition = definitions.GetValueOrDefault((c.Schema, c.Name));
        return counts;
    }

    /// <summary>
    /// A name no other backup has, opened for writing, and the claim that holds it (null without claims).
    /// Where names can be claimed (a folder; an S3 endpoint that honours If-None-Match), the second's name or
    /// -2, -3, ...: the claim object is created only if absent, so two backups racing for one name cannot both
    /// get it, and it is removed once the manifest is written, so after claiming, a committed backup of that
    /// name is looked for as well. Elsewhere the name gets a random tail that a racing backup cannot pick too.
    /// </summary>
    private async Task<(BackupName, IObjectWriter, string?)> CreateUniqueAsync(BackupRepository repository, Task<bool> canClaim, string database, DateTime started, BackupRequest request, EncryptionKind encryption, CancellationToken cancellationToken)
    {
        var name = new BackupName(BackupName.SafeFolderName(database), started, 1,
            BackupName.ExtensionFor(request.Format, request.Compression, encryption));
        if (!await canClaim.ConfigureAwait(false))
        {
            _sink.Verbose($"{repository.Location} does not honour conditional writes (PutObject If-None-Match), so a name cannot be reserved there: the backup's name gets a random tail instead, which another backup started in the same second cannot pick too.");
            for (var attempt = 0; attempt < 10; attempt++)
            {
                var candidate = name.WithTail(BackupName.RandomTail());
                if (await IsUsedAsync(repository, candidate, cancellationToken).ConfigureAwait(false)) continue;
                return (candidate, await repository.CreateAsync(candidate.Key, request.StorageClass, cancellationToken).ConfigureAwait(false), null);
            }
        }
        else
        {
            for (var seq = 1; seq < 1000; seq++)
            {
                var candidate = name.WithSequence(seq);
                if (!await repository.TryClaimAsync(candidate.ClaimKey, cancellationToken).ConfigureAwait(false))
                {
                    _sink.Verbose($"{candidate.FileName} is being written by another backup; trying the next name.");
                    continue;
                }
                IObjectWriter? writer = null;
                try
                {
                    if (!await IsUsedAsync(repository, candidate, cancellationToken).ConfigureAwait(false))
                        writer = await repository.CreateAsync(candidate.Key, request.StorageClass, cancellationToken).ConfigureAwait(false);
                }
                catch (ClutterException e) when (e.ErrorId == "BackupObjectExists")
                {
                }
                catch
                {
                    await ReleaseAsync(repository, candidate.ClaimKey).ConfigureAwait(false);
                    throw;
                }
                if (writer is not null) return (candidate, writer, candidate.ClaimKey);
                await ReleaseAsync(repository, candidate.ClaimKey).ConfigureAwait(false);
            }
        }
        throw new ClutterException(Errors.BackupNameTaken,
            $"Too many backups of '{database}' started in the same second at {repository.Location}.", repository.Location.ToString());
    }

    private static async Task<bool> IsUsedAsync(BackupRepository repository, BackupName name, CancellationToken cancellationToken) =>
        await repository.ExistsAsync(name.Key, cancellationToken).ConfigureAwait(false)
        || await repository.ExistsAsync(name.ManifestKey, cancellationToken).ConfigureAwait(false);

    /// <summary>Removes a claim; a claim left behind (the removal failed) only keeps its name from being used again.</summary>
    private async Task ReleaseAsync(BackupRepository repository, string? claimKey)
    {
        if (claimKey is null) return;
        try { await repository.DeleteAsync(claimKey, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception e) // never fails a committed backup, nor hides the failure of another
        {
            _sink.Verbose($"The name claim {repository.Describe(claimKey)} could not be removed ({e.Message}); it is an empty object that only keeps that name from being used again, and may be deleted.");
        }
    }
}
