using System.Collections.Concurrent;
using System.Diagnostics;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Database;
using ClutterDR.Storage;

namespace ClutterDR.Snapshots;

/// <summary>What Test-ClutterStorageSnapshot asked for.</summary>
public sealed record SnapshotCheckRequest
{
    public required BackupLocation Snapshot { get; init; }
    public S3Options S3 { get; init; } = new();
    /// <summary>Read every blob and hash it (decrypting with Decryption when the snapshot is encrypted).</summary>
    public bool Deep { get; init; }
    public DecryptionOptions Decryption { get; init; } = new();
    /// <summary>A database whose object table names the files that must be in the snapshot.</summary>
    public PgConnectionSettings? Database { get; init; }
    public string ObjectTable { get; init; } = "storage.objects";
    /// <summary>The table's bucket_id; null: the snapshot source's bucket.</summary>
    public string? Bucket { get; init; }
    public int ThrottleLimit { get; init; } = 8;
}

/// <summary>
/// Test-ClutterStorageSnapshot: every blob a snapshot references is there with the right size (one listing of
/// blobs/); -Deep reads and hashes each; with a database, every name its object table lists for the bucket is a
/// file of the snapshot. Each broken file and each missing name is a problem of its own.
/// </summary>
public sealed class SnapshotCheckService
{
    private readonly IEngineHost _host;

    public SnapshotCheckService(IEngineHost host) => _host = host;

    public async Task<StorageSnapshotCheck> RunAsync(SnapshotCheckRequest request, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var (root, indexKey) = SnapshotRepository.Split(request.Snapshot);
        using var store = ObjectStores.Open(root, request.S3, maxConnections: request.ThrottleLimit + 4);
        var (key, index) = await SnapshotRepository.ResolveAsync(store, indexKey, null, cancellationToken).ConfigureAwait(false);
        var snapshot = store.Describe(key);
        _host.Verbose($"Checking '{snapshot}': {index.Files.Count:N0} files{(request.Deep ? ", reading every blob" : "")}{(request.Database is null ? "" : $", against {request.ObjectTable} in {request.Database.Display}")}.");
        var problems = new List<ClutterException>();
        var present = await SnapshotRepository.BlobsAsync(store, cancellationToken).ConfigureAwait(false);
        var plain = index.Encryption == EncryptionKind.None;
        var bySha = index.Files.GroupBy(f => f.Sha256, StringComparer.Ordinal).ToList();
        var missing = bySha.Where(g => !present.TryGetValue(g.Key, out var size) || (plain && size != g.First().Size)).ToList();
        foreach (var g in missing)
            foreach (var f in g)
                problems.Add(new ClutterException(Errors.SnapshotBlobMissing,
                    $"'{f.Key}' of '{snapshot}' cannot be restored: its blob '{store.Describe(SnapshotIndex.BlobKey(g.Key))}' is {(present.ContainsKey(g.Key) ? "of the wrong size" : "missing")}. Restore the file from an older snapshot, and take a new one.",
                    f.Key));
        var damaged = 0;
        if (request.Deep)
        {
            var format = SnapshotReader.FormatOf(index);
            var bad = new ConcurrentBag<IGrouping<string, SnapshotFile>>();
            var progress = new ByteProgress(_host, $"Reading the blobs of {snapshot}", bySha.Sum(g => g.First().Size));
            long done = 0;
            var toRead = bySha.Except(missing).ToList();
            await Parallel.ForEachAsync(toRead, new ParallelOptions { MaxDegreeOfParallelism = request.ThrottleLimit, CancellationToken = cancellationToken }, async (g, ct) =>
            {
                bool ok;
                try { ok = await store.Retry.ExecuteAsync(c => SnapshotReader.HashesToNameAsync(store, format, g.Key, request.Decryption, c), ct).ConfigureAwait(false); }
                catch (ClutterException e) when (e.Is(Errors.DecryptionKeyRequired) || e.Is(Errors.DecryptionFailed)) { throw; }
                catch (Exception e) when (e is not OperationCanceledException && (Streams.StoredFormat.IsDataError(e) || e is ObjectNotFoundException)) { ok = false; }
                if (!ok) bad.Add(g);
                progress.Report(Interlocked.Add(ref done, g.First().Size));
            }).ConfigureAwait(false);
            progress.Complete();
            foreach (var g in bad.OrderBy(g => g.Key, StringComparer.Ordinal))
                foreach (var f in g)
                {
                    damaged++;
                    problems.Add(new ClutterException(Errors.SnapshotBlobDamaged,
                        $"'{f.Key}' of '{snapshot}' cannot be restored: its blob '{store.Describe(SnapshotIndex.BlobKey(g.Key))}' does not hash to its name. Restore the file from an older snapshot, and take a new one.", f.Key));
                }
        }

        int databaseFiles = 0, missingFiles = 0;
        if (request.Database is not null)
        {
            var source = BackupLocation.Parse(index.Source);
            var bucket = request.Bucket ?? (source.IsS3 ? source.Bucket : throw new ClutterException(Errors.SnapshotBucketRequired,
                $"The snapshot's source '{index.Source}' is a folder: give -Bucket, the bucket_id its files have in {request.ObjectTable}.", "Bucket"));
            var prefix = source.IsS3 && source.Prefix.Length > 0 && request.Bucket is null ? source.Prefix + "/" : "";
            var names = await StorageObjectTable.NamesAsync(request.Database, request.ObjectTable, bucket, cancellationToken).ConfigureAwait(false);
            var keys = index.Files.Select(f => prefix + f.Key).ToHashSet(StringComparer.Ordinal);
            databaseFiles = names.Count;
            foreach (var name in names.Where(n => !keys.Contains(n) && (prefix.Length == 0 || n.StartsWith(prefix, StringComparison.Ordinal))).OrderBy(n => n, StringComparer.Ordinal))
            {
                missingFiles++;
                problems.Add(new ClutterException(Errors.SnapshotFileMissing,
                    $"{request.ObjectTable} in {request.Database.Display} names '{bucket}/{name}', which '{snapshot}' does not hold. Restore the file from elsewhere, or take a snapshot that has it.", $"{bucket}/{name}"));
            }
        }
        foreach (var p in problems) await _host.ProblemAsync(p).ConfigureAwait(false);
        return new StorageSnapshotCheck
        {
            Snapshot = snapshot, Files = index.Files.Count, Blobs = bySha.Count, Deep = request.Deep,
            MissingBlobs = missing.Sum(g => g.Count()), DamagedBlobs = damaged, DatabaseFiles = databaseFiles, MissingFiles = missingFiles,
            Passed = problems.Count == 0, Duration = watch.Elapsed, Problems = problems.ToArray(),
        };
    }
}
