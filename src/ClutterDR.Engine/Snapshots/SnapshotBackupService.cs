using System.Collections.Concurrent;
using System.Diagnostics;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Storage;
using ClutterDR.Streams;
using ClutterDR.Sync;

namespace ClutterDR.Snapshots;

/// <summary>What Backup-ClutterStorage asked for.</summary>
public sealed record SnapshotBackupRequest
{
    public required BackupLocation Source { get; init; }
    public required BackupLocation Destination { get; init; }
    public S3Options SourceS3 { get; init; } = new();
    public S3Options DestinationS3 { get; init; } = new();
    /// <summary>The snapshot's name; null: from the source (SnapshotIndex.NameOf).</summary>
    public string? Name { get; init; }
    public int ThrottleLimit { get; init; } = 8;
    public EncryptionOptions Encryption { get; init; } = new();
    /// <summary>Files below this size are read once into memory; larger ones are hashed first, then streamed when new.</summary>
    public long InMemoryLimit { get; init; } = 16 << 20;
    public int MaxRetries { get; init; } = RetryPolicy.DefaultMaxRetries;
}

/// <summary>
/// Backup-ClutterStorage: a snapshot of a bucket prefix or folder. The source is listed through the sync's
/// <see cref="SyncSide"/>; a file whose key, size and listed time match the previous snapshot of the name (and whose
/// blob is present) reuses its entry unread; the others are read, hashed and stored once per content
/// (<see cref="SnapshotBlobs"/>), up to ThrottleLimit at once, with the sync's progress. The index is written last.
/// </summary>
public sealed class SnapshotBackupService
{
    private readonly IEngineHost _host;

    public SnapshotBackupService(IEngineHost host) => _host = host;

    public async Task<StorageSnapshot> RunAsync(SnapshotBackupRequest request, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        if (request.ThrottleLimit < 1)
            throw new ClutterException(Errors.InvalidThrottleLimit, "-ThrottleLimit must be 1 or more.", request.ThrottleLimit);
        var name = SnapshotIndex.NameOf(request.Name, request.Source);
        var created = DateTime.UtcNow;
        created = created.AddTicks(-(created.Ticks % TimeSpan.TicksPerSecond));
        var plan = request.Encryption.Enabled ? EncryptionPlan.Prepare(request.Encryption) : null;
        var connections = request.ThrottleLimit * 3 + 4;
        using var source = new SyncSide(ObjectStores.Open(request.Source, request.SourceS3, maxConnections: connections,
            folder: new FolderStoreOptions(FailOnInaccessible: true)), isSource: true) { ListParallelism = request.ThrottleLimit };
        using var destination = ObjectStores.Open(request.Destination, request.DestinationS3, maxConnections: connections, shareClientWith: source.Store);

        var listing = source.ListAsync(null, cancellationToken);
        var previousTask = PreviousAsync(destination, name, cancellationToken);
        var blobsTask = SnapshotRepository.BlobsAsync(destination, cancellationToken);
        await Task.WhenAll(listing, previousTask, blobsTask).ConfigureAwait(false);
        var entries = listing.Result.Where(e => !e.Key.EndsWith('/') && !Inside(request, e.Key)).ToList();
        var previous = previousTask.Result?.Files.ToDictionary(f => f.Key, StringComparer.Ordinal) ?? new Dictionary<string, SnapshotFile>();
        var blobs = new SnapshotBlobs(destination, new StoredFormat(CompressionKind.None, 0, plan), blobsTask.Result);
        _host.Verbose($"Listed {entries.Count:N0} files, {previous.Count:N0} in the previous snapshot, {blobsTask.Result.Count:N0} blobs stored, after {watch.Elapsed.TotalSeconds:N1} s.");

        var files = new SnapshotFile?[entries.Count];
        var work = new List<int>();
        var reused = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (previous.TryGetValue(e.Key, out var p) && p.Size == e.Size && p.Listed == e.ModifiedUtc && blobs.Has(p.Sha256))
            {
                files[i] = p;
                reused++;
            }
            else work.Add(i);
        }
        work.Sort((a, b) => entries[b].Size.CompareTo(entries[a].Size)); // largest first, the small ones fill the gaps
        var progress = new SyncProgress(_host, $"Snapshot of {source.Location} to {destination.Location}", work.Count, work.Sum(i => entries[i].Size));
        var retry = StorageRetry.Policy(request.MaxRetries);
        var failures = new ConcurrentBag<ClutterException>();
        try
        {
            await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = request.ThrottleLimit, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var entry = entries[i];
                try
                {
                    var (file, stored) = await retry.ExecuteAsync(c => blobs.StoreAsync(source, entry, request.InMemoryLimit, c), ct).ConfigureAwait(false);
                    files[i] = file;
                    if (!stored) Interlocked.Increment(ref reused);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    var error = ex as ClutterException ?? new ClutterException(Errors.SnapshotFileFailed,
                        $"Could not store '{source.Describe(entry.Key)}': {ex.Message}", source.Describe(entry.Key), ex);
                    failures.Add(error);
                    await _host.ProblemAsync(error).ConfigureAwait(false);
                }
                progress.ItemDone(entry.Size);
            }).ConfigureAwait(false);
        }
        finally
        {
            progress.Complete();
        }
        if (!failures.IsEmpty)
            throw new ClutterException(Errors.SnapshotFileFailed,
                $"{failures.Count:N0} of {entries.Count:N0} files could not be stored (each reported above; the first: {failures.First().Message}); no snapshot was written. Act on the errors and run again: what is stored already is not sent again.",
                source.Location.ToString());

        var index = new SnapshotIndex
        {
            Name = name, Created = created, Source = source.Location.ToString(),
            Encryption = plan is null ? EncryptionKind.None : EncryptionKind.OpenPgp,
            RecipientFingerprints = plan is { Recipients.Count: > 0 } ? plan.Recipients.Select(r => r.Fingerprint).Distinct().ToList() : null,
            NewBlobs = blobs.NewBlobs, NewBytes = blobs.NewBytes, Reused = reused,
            Files = files.Select(f => f!).OrderBy(f => f.Key, StringComparer.Ordinal).ToList(),
        };
        index.Duration = watch.Elapsed;
        var key = await SnapshotRepository.WriteAsync(destination, index, cancellationToken).ConfigureAwait(false);
        _host.Verbose($"Wrote '{destination.Describe(key)}' after {watch.Elapsed.TotalSeconds:N2} s: {index.NewBlobs:N0} new blobs ({Format.Bytes(index.NewBytes)}), {reused:N0} files reused.");
        return SnapshotRepository.Describe(destination, key, index);
    }

    private async Task<SnapshotIndex?> PreviousAsync(IObjectStore destination, string name, CancellationToken cancellationToken)
    {
        var all = await SnapshotRepository.ListAsync(destination, name, cancellationToken).ConfigureAwait(false);
        if (all.Count == 0) return null;
        try
        {
            return await SnapshotRepository.ReadAsync(destination, all[^1].Key, cancellationToken).ConfigureAwait(false);
        }
        catch (ClutterException e) when (e.Is(Errors.SnapshotIndexInvalid))
        {
            _host.Warning($"{e.Message} Every file is read again.");
            return null;
        }
    }

    /// <summary>A key of the source that is the destination itself (a snapshot location inside the folder or prefix it copies).</summary>
    private static bool Inside(SnapshotBackupRequest r, string key)
    {
        string? rel = null;
        if (r.Source.IsS3 && r.Destination.IsS3 && r.Source.Bucket == r.Destination.Bucket)
            rel = r.Source.Prefix.Length == 0 ? r.Destination.Prefix : r.Destination.Prefix.StartsWith(r.Source.Prefix + "/", StringComparison.Ordinal) ? r.Destination.Prefix[(r.Source.Prefix.Length + 1)..] : null;
        else if (!r.Source.IsS3 && !r.Destination.IsS3 && r.Destination.Path.StartsWith(r.Source.Path.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            rel = r.Destination.Path[(r.Source.Path.TrimEnd(Path.DirectorySeparatorChar).Length + 1)..].Replace(Path.DirectorySeparatorChar, '/');
        return rel is { Length: > 0 } && (key == rel || key.StartsWith(rel + "/", StringComparison.Ordinal));
    }
}
