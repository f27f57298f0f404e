using System.Collections.Concurrent;
using System.Diagnostics;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Storage;
using ClutterDR.Streams;
using ClutterDR.Sync;

namespace ClutterDR.Snapshots;

/// <summary>What Restore-ClutterStorage asked for.</summary>
public sealed record SnapshotRestoreRequest
{
    /// <summary>A snapshot's index, or the location Backup-ClutterStorage wrote to (its newest snapshot).</summary>
    public required BackupLocation Snapshot { get; init; }
    public S3Options SnapshotS3 { get; init; } = new();
    public required BackupLocation Destination { get; init; }
    public S3Options DestinationS3 { get; init; } = new();
    public IReadOnlyList<string> Include { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();
    /// <summary>Write every file, identical at the destination or not.</summary>
    public bool Force { get; init; }
    public int ThrottleLimit { get; init; } = 8;
    public DecryptionOptions Decryption { get; init; } = new();
    public int MaxRetries { get; init; } = RetryPolicy.DefaultMaxRetries;
}

/// <summary>
/// Restore-ClutterStorage: writes a snapshot's files (or those -Include/-Exclude select, the sync's
/// <see cref="KeyFilter"/>) to a bucket prefix or folder with their content types, metadata and times,
/// each blob's SHA-256 checked before the file is complete; a file already identical at the destination
/// (size, then MD5 or kept time) is skipped. The host confirms each write (-WhatIf).
/// </summary>
public sealed class SnapshotRestoreService
{
    private readonly IEngineHost _host;

    public SnapshotRestoreService(IEngineHost host) => _host = host;

    public async Task<StorageRestoreResult> RunAsync(SnapshotRestoreRequest request, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        if (request.ThrottleLimit < 1)
            throw new ClutterException(Errors.InvalidThrottleLimit, "-ThrottleLimit must be 1 or more.", request.ThrottleLimit);
        var (root, indexKey) = SnapshotRepository.Split(request.Snapshot);
        var connections = request.ThrottleLimit * 3 + 4;
        using var store = ObjectStores.Open(root, request.SnapshotS3, maxConnections: connections);
        var (key, index) = await SnapshotRepository.ResolveAsync(store, indexKey, null, cancellationToken).ConfigureAwait(false);
        var snapshot = store.Describe(key);
        using var destination = new SyncSide(ObjectStores.Open(request.Destination, request.DestinationS3, maxConnections: connections, shareClientWith: store,
            folder: new FolderStoreOptions()), isSource: false) { ListParallelism = request.ThrottleLimit };
        var filter = new KeyFilter(request.Include, request.Exclude);
        var selected = index.Files.Where(f => filter.Matches(f.Key)).ToList();

        var existing = request.Force || selected.Count == 0 ? new Dictionary<string, SyncEntry>()
            : (await destination.ListAsync(selected.Count > 1000 ? selected.Select(f => f.Key).ToList() : null, cancellationToken).ConfigureAwait(false))
                .ToDictionary(e => e.Key, StringComparer.Ordinal);
        var toWrite = new ConcurrentBag<SnapshotFile>();
        var skipped = 0;
        await Parallel.ForEachAsync(selected, new ParallelOptions { MaxDegreeOfParallelism = request.ThrottleLimit, CancellationToken = cancellationToken }, async (f, ct) =>
        {
            if (existing.TryGetValue(f.Key, out var d) && await IdenticalAsync(f, d, destination, ct).ConfigureAwait(false)) Interlocked.Increment(ref skipped);
            else toWrite.Add(f);
        }).ConfigureAwait(false);
        var changes = toWrite.OrderByDescending(f => f.Size).ToList();
        var consents = changes.Count == 0 ? Array.Empty<Consent>()
            : await _host.ConfirmAsync(changes.Select(f => new PlannedChange("Restore", destination.Describe(f.Key))).ToList()).ConfigureAwait(false);
        var work = new List<SnapshotFile>();
        bool whatIf = false;
        int restored = 0, failed = 0;
        long bytes = 0;
        for (var i = 0; i < changes.Count; i++)
        {
            if (consents[i] == Consent.Run) work.Add(changes[i]);
            else if (consents[i] == Consent.WhatIf) { whatIf = true; restored++; bytes += changes[i].Size; }
            else skipped++;
        }

        var format = SnapshotReader.FormatOf(index);
        var retry = StorageRetry.Policy(request.MaxRetries);
        var problems = new ConcurrentBag<ClutterException>();
        var progress = new SyncProgress(_host, $"Restoring {snapshot} to {destination.Location}", work.Count, work.Sum(f => f.Size));
        try
        {
            await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = request.ThrottleLimit, CancellationToken = cancellationToken }, async (f, ct) =>
            {
                try
                {
                    await retry.ExecuteAsync(c => SnapshotReader.CopyOutAsync(store, format, f, destination, request.Decryption, c), ct).ConfigureAwait(false);
                    Interlocked.Increment(ref restored);
                    Interlocked.Add(ref bytes, f.Size);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    var error = SnapshotReader.MapError(e, store, f, destination.Describe(f.Key));
                    if (error.Terminating || error.Is(Errors.DecryptionFailed) || error.Is(Errors.DecryptionKeyRequired)) throw error;
                    Interlocked.Increment(ref failed);
                    problems.Add(error);
                    await _host.ProblemAsync(error).ConfigureAwait(false);
                }
                progress.ItemDone(f.Size);
            }).ConfigureAwait(false);
        }
        finally
        {
            progress.Complete();
        }
        return new StorageRestoreResult
        {
            Snapshot = snapshot, Destination = destination.Location.ToString(), Restored = restored, Skipped = skipped, Failed = failed,
            Bytes = bytes, Duration = watch.Elapsed, WhatIf = whatIf, Problems = problems.ToArray(),
        };
    }

    /// <summary>Same size, then the same MD5 (a plain ETag) or the same modification time (a file's, or S3's kept "mtime").</summary>
    private static async Task<bool> IdenticalAsync(SnapshotFile f, SyncEntry d, SyncSide destination, CancellationToken ct)
    {
        if (d.Size != f.Size) return false;
        if (d.Md5 is not null && f.Md5 is not null) return d.Md5 == f.Md5;
        if (destination.IsFolder) return d.ModifiedUtc == f.Modified;
        var loaded = await destination.LoadDetailsAsync(d, needMd5: false, ct).ConfigureAwait(false);
        return !loaded.ModifiedIsWriteTime && loaded.ModifiedUtc == f.Modified;
    }
}
