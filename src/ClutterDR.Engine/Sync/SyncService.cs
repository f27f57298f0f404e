using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;
using ClutterDR.Catalog;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Sync;

/// <summary>What Sync-ClutterStorage asked for.</summary>
public sealed record SyncRequest
{
    public required BackupLocation Source { get; init; }
    public required BackupLocation Destination { get; init; }
    public S3Options SourceS3 { get; init; } = new();
    public S3Options DestinationS3 { get; init; } = new();
    public SyncPlanOptions Plan { get; init; } = new();
    /// <summary>Transfers at once.</summary>
    public int ThrottleLimit { get; init; } = 8;
    public string? StorageClass { get; init; }
    /// <summary>Files and objects from this size on are uploaded in parts.</summary>
    public long MultipartThreshold { get; init; } = 16 << 20;
    /// <summary>Part size and parts in flight per large upload (memory: ThrottleLimit x part size x (parts in flight + 1) at most).</summary>
    public S3UploadOptions Upload { get; init; } = new() { InitialPartSize = 8 << 20, PartsInFlight = 2 };
    /// <summary>
    /// Retries of an item whose transfer broke off mid-stream (a download or a streamed copy), with the
    /// same <see cref="RetryPolicy"/> as each S3 request (whose retries come from SourceS3/DestinationS3.MaxRetries).
    /// </summary>
    public int MaxRetries { get; init; } = RetryPolicy.DefaultMaxRetries;
}

/// <summary>A host's answer to one planned change.</summary>
public enum SyncConsent
{
    Run,
    /// <summary>Declined (-Confirm answered No): counted as skipped.</summary>
    Decline,
    /// <summary>Only reported (-WhatIf): counted as what would happen, in a summary marked WhatIf.</summary>
    WhatIf,
}

/// <summary>How the engine asks and tells whoever runs it, one call per item (any thread).</summary>
public interface ISyncCallbacks
{
    /// <summary>ShouldProcess for each planned change, in order. One call for all, so a host can answer them in one go.</summary>
    IReadOnlyList<SyncConsent> Confirm(IReadOnlyList<(SyncActionKind Action, string Target)> changes);
    void Item(SyncItem item);
    void Failed(ClutterException error);
}

/// <summary>
/// Plans (pure, <see cref="SyncPlanner"/>) and executes a sync: listings of both sides, details
/// only where a listing cannot decide, then up to ThrottleLimit transfers at once, each retried
/// with backoff on transient failures. The source is only read.
/// </summary>
public sealed class SyncService
{
    private const long MaxCopyObjectSize = 5L << 30;
    private readonly IEngineHost _sink;
    private int _serverCopyRefused;

    public SyncService(IEngineHost sink) => _sink = sink;

    /// <summary>Set when the endpoint refused a server-side copy and streamed copies took over.</summary>
    public bool ServerCopyRefused => _serverCopyRefused != 0;

    public async Task<SyncSummary> RunAsync(SyncRequest request, ISyncCallbacks callbacks, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        Validate(request);
        var sameS3 = request.Source.IsS3 && request.Destination.IsS3 && request.SourceS3 == request.DestinationS3;
        var connections = Math.Max(request.ThrottleLimit, 1) * (request.Upload.PartsInFlight + 1) + 4;
        IAmazonS3? shared = sameS3 ? S3ClientFactory.Create(request.SourceS3, maxConnections: connections) : null;
        using var source = CreateSide(request.Source, request.SourceS3, shared, connections, request.ThrottleLimit);
        using var destination = CreateSide(request.Destination, request.DestinationS3, shared, connections, request.ThrottleLimit);
        try
        {
            List<SyncEntry> srcList, dstList;
            if (source.IsFolder && destination is S3SyncSide s3Destination)
            {
                // The folder lists in milliseconds; its keys tell how to split the bucket listing.
                srcList = await source.ListAsync(true, cancellationToken).ConfigureAwait(false);
                dstList = await s3Destination.ListAsync(false, srcList.Select(e => e.Key).ToList(), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var listSource = source.ListAsync(true, cancellationToken);
                var listDestination = destination.ListAsync(false, cancellationToken);
                await Task.WhenAll(listSource, listDestination).ConfigureAwait(false);
                srcList = listSource.Result;
                dstList = listDestination.Result;
            }
            _sink.Verbose($"Listed {srcList.Count:N0} source and {dstList.Count:N0} destination entries in {watch.Elapsed.TotalSeconds:N1} s.");

            var planOptions = request.Plan with { DestinationIsFolder = destination.IsFolder };
            var plan = SyncPlanner.Plan(srcList, dstList, planOptions);
            plan = await LoadDetailsAsync(plan, source, destination, request, cancellationToken).ConfigureAwait(false);
            _sink.Verbose($"Plan after {watch.Elapsed.TotalSeconds:N2} s: {plan.Count(i => i.Action == SyncActionKind.Copy):N0} to copy, {plan.Count(i => i.Action == SyncActionKind.Update):N0} to update, {plan.Count(i => i.Action == SyncActionKind.Delete):N0} to delete, {plan.Count(i => i.Action == SyncActionKind.Skip):N0} unchanged.");

            return await ExecuteAsync(plan, source, destination, request, callbacks, watch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            shared?.Dispose();
        }
    }

    private static void Validate(SyncRequest request)
    {
        if (request.ThrottleLimit < 1)
            throw new ClutterException(Errors.InvalidThrottleLimit, "-ThrottleLimit must be 1 or more.", request.ThrottleLimit);
        var s = request.Source;
        var d = request.Destination;
        if (s.IsS3 && d.IsS3 && s.Bucket == d.Bucket && request.SourceS3 == request.DestinationS3 && Overlaps(s.Prefix, d.Prefix, '/'))
            throw new ClutterException(Errors.SyncLocationsOverlap,
                $"The source '{s}' and the destination '{d}' overlap. Give two separate prefixes.", d.ToString());
        if (!s.IsS3 && !d.IsS3 && Overlaps(Path.TrimEndingDirectorySeparator(s.Path), Path.TrimEndingDirectorySeparator(d.Path), Path.DirectorySeparatorChar))
            throw new ClutterException(Errors.SyncLocationsOverlap,
                $"The source '{s}' and the destination '{d}' overlap. Give two separate folders.", d.ToString());

        static bool Overlaps(string a, string b, char sep) =>
            a == b || a.Length == 0 || b.Length == 0 || a.StartsWith(b + sep, StringComparison.Ordinal) || b.StartsWith(a + sep, StringComparison.Ordinal);
    }

    private static SyncSide CreateSide(BackupLocation location, S3Options options, IAmazonS3? shared, int connections, int listParallelism) =>
        location.IsS3
            ? new S3SyncSide(location, options, shared ?? S3ClientFactory.Create(options, maxConnections: connections), ownsClient: shared is null) { ListParallelism = listParallelism }
            : new FolderSyncSide(location);

    /// <summary>Fetches metadata or hashes for the keys the listings could not decide, then decides them.</summary>
    private async Task<List<SyncPlanItem>> LoadDetailsAsync(List<SyncPlanItem> plan, SyncSide source, SyncSide destination, SyncRequest request, CancellationToken cancellationToken)
    {
        var pending = plan.Select((item, index) => (item, index)).Where(p => p.item.NeedsDetails).ToList();
        if (pending.Count == 0) return plan;
        var mode = request.Plan.Mode;
        var needMd5 = mode == SyncCompareMode.Checksum;
        var progress = new ByteProgress(_sink, $"Comparing {source.Location} with {destination.Location}", pending.Count);
        var done = 0;
        try
        {
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = request.ThrottleLimit, CancellationToken = cancellationToken }, async (p, ct) =>
            {
                var item = p.item;
                try
                {
                    // Every S3 request in there is retried by its side's RetryPolicy, a body read included.
                    var s = await source.LoadDetailsAsync(item.Source!, needMd5, ct).ConfigureAwait(false);
                    var d = await destination.LoadDetailsAsync(item.Destination!, needMd5, ct).ConfigureAwait(false);
                    plan[p.index] = SyncPlanner.Resolve(item, s, d, mode);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Could not compare: copy it (safe), and say why at -Verbose.
                    _sink.Verbose($"Could not compare '{item.Key}' ({e.Message}); it will be copied again.");
                    plan[p.index] = item with { Action = SyncActionKind.Update, NeedsDetails = false };
                }
                var n = Interlocked.Increment(ref done);
                progress.Report(n, $"{n:N0} of {pending.Count:N0} keys compared");
            }).ConfigureAwait(false);
        }
        finally
        {
            progress.Complete();
        }
        return plan;
    }

    private async Task<SyncSummary> ExecuteAsync(List<SyncPlanItem> plan, SyncSide source, SyncSide destination, SyncRequest request,
        ISyncCallbacks callbacks, Stopwatch watch, CancellationToken cancellationToken)
    {
        var retry = new RetryPolicy(request.MaxRetries);
        int copied = 0, updated = 0, deleted = 0, skipped = 0, failed = 0;
        long bytes = 0;
        var work = new List<SyncPlanItem>();
        var changes = new List<SyncPlanItem>();
        foreach (var item in plan)
        {
            if (item.Action == SyncActionKind.Skip)
            {
                skipped++;
                callbacks.Item(ItemOf(item, destination, SyncItemStatus.Done));
            }
            else if (item.Refusal is not null)
            {
                failed++;
                var e = new ClutterException(Errors.UnsafeObjectKey,
                    $"The object '{source.Describe(item.Key)}' cannot be written under '{destination.Location}': {item.Refusal}. It was skipped and the rest goes on; rename the object (or leave it out with -Exclude) to sync it.",
                    source.Describe(item.Key));
                callbacks.Failed(e);
                callbacks.Item(ItemOf(item, destination, SyncItemStatus.Failed, e.Message));
            }
            else
            {
                changes.Add(item);
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        var consents = changes.Count == 0 ? Array.Empty<SyncConsent>() : callbacks.Confirm(changes.Select(i => (i.Action, destination.Describe(i.Key))).ToList());
        var whatIf = false;
        for (var i = 0; i < changes.Count; i++)
        {
            switch (consents[i])
            {
                case SyncConsent.Run:
                    work.Add(changes[i]);
                    break;
                case SyncConsent.WhatIf:
                    // -WhatIf: the summary counts what would happen, and says it is a what-if.
                    whatIf = true;
                    switch (changes[i].Action)
                    {
                        case SyncActionKind.Copy: copied++; bytes += changes[i].Size; break;
                        case SyncActionKind.Update: updated++; bytes += changes[i].Size; break;
                        case SyncActionKind.Delete: deleted++; break;
                    }
                    callbacks.Item(ItemOf(changes[i], destination, SyncItemStatus.NotRun));
                    break;
                default:
                    skipped++;
                    callbacks.Item(ItemOf(changes[i], destination, SyncItemStatus.NotRun));
                    break;
            }
        }
        _sink.Verbose($"Confirmed {work.Count:N0} actions after {watch.Elapsed.TotalSeconds:N2} s.");
        if (work.Count == 0)
            return Summary();

        // Largest first: the long transfers start at once and the small ones fill the gaps.
        var transfers = work.Where(i => i.Action != SyncActionKind.Delete).OrderByDescending(i => i.Size).ToList();
        var deletes = work.Where(i => i.Action == SyncActionKind.Delete).ToList();
        var progress = new SyncProgress(_sink, $"Syncing {source.Location} to {destination.Location}", transfers.Count + deletes.Count, transfers.Sum(i => i.Size));
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ClutterException? fatal = null;
        var writeLock = new object();

        async ValueTask RunOne(SyncPlanItem item, CancellationToken ct)
        {
            try
            {
                if (item.Action == SyncActionKind.Delete)
                    await DeleteAsync(destination, item.Key, ct).ConfigureAwait(false);
                else
                    // Each S3 request inside is retried on its own; this retries only what broke off mid-stream.
                    await retry.ExecuteAsync(c => TransferAsync(item, source, destination, request, c), ct).ConfigureAwait(false);
                lock (writeLock)
                {
                    switch (item.Action)
                    {
                        case SyncActionKind.Copy: copied++; bytes += item.Size; break;
                        case SyncActionKind.Update: updated++; bytes += item.Size; break;
                        case SyncActionKind.Delete: deleted++; break;
                    }
                }
                progress.ItemDone(item.Action == SyncActionKind.Delete ? 0 : item.Size);
                callbacks.Item(ItemOf(item, destination, SyncItemStatus.Done));
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var error = MapItemError(e, item, source, destination);
                if (error.ErrorId is "StorageClassRejected" or "DestinationNotFound" or "S3CredentialsNotFound" or DestinationWrite.ErrorId)
                {
                    // Every other item would fail the same way: stop them and fail the call once.
                    lock (writeLock) fatal ??= error;
                    abort.Cancel();
                    return;
                }
                lock (writeLock) failed++;
                progress.ItemDone(0);
                callbacks.Failed(error);
                callbacks.Item(ItemOf(item, destination, SyncItemStatus.Failed, error.Message));
            }
        }

        try
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = request.ThrottleLimit, CancellationToken = abort.Token };
            await Parallel.ForEachAsync(transfers, options, RunOne).ConfigureAwait(false);
            await Parallel.ForEachAsync(deletes, options, RunOne).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (fatal is not null)
        {
        }
        finally
        {
            progress.Complete();
        }
        if (fatal is not null) throw fatal;
        _sink.Verbose($"Transfers done after {watch.Elapsed.TotalSeconds:N2} s.");
        return Summary();

        SyncSummary Summary() => new()
        {
            Source = source.Location.ToString(),
            Destination = destination.Location.ToString(),
            Copied = copied, Updated = updated, Deleted = deleted, Skipped = skipped, Failed = failed, Bytes = bytes,
            Duration = watch.Elapsed, WhatIf = whatIf,
        };
    }

    private static SyncItem ItemOf(SyncPlanItem item, SyncSide destination, SyncItemStatus status, string? error = null) => new()
    {
        Action = item.Action, Key = item.Key, Size = item.Size, Status = status, Destination = destination.Describe(item.Key), Error = error,
    };

    private static ClutterException MapItemError(Exception e, SyncPlanItem item, SyncSide source, SyncSide destination)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerException!;
        if (e is ClutterException ce) return ce;
        var target = destination.Describe(item.Key);
        var what = item.Action == SyncActionKind.Delete ? $"delete '{target}'" : $"copy '{source.Describe(item.Key)}' to '{target}'";
        if (S3Errors.Map(e, target, forWrite: true) is ClutterException mapped)
            return mapped;
        return e switch
        {
            UnauthorizedAccessException => new ClutterException(Errors.SyncItemFailed.As(FailureKind.PermissionDenied),
                $"Could not {what}: {e.Message} Check the folder's permissions.", target, e),
            IOException => new ClutterException(Errors.SyncItemFailed,
                $"Could not {what}: {e.Message}", target, e),
            _ => new ClutterException(Errors.SyncItemFailed,
                $"Could not {what}: {e.GetType().Name}: {e.Message}", target, e),
        };
    }

    // ------------------------------------------------------------------------------------ transfers

    private Task TransferAsync(SyncPlanItem item, SyncSide source, SyncSide destination, SyncRequest request, CancellationToken ct) =>
        (source, destination) switch
        {
            (FolderSyncSide f, S3SyncSide s) => UploadFileAsync(f, s, item, request, ct),
            (S3SyncSide s, FolderSyncSide f) => DownloadAsync(s, f, item, ct),
            (S3SyncSide a, S3SyncSide b) => CopyObjectAsync(a, b, item, request, ct),
            (FolderSyncSide a, FolderSyncSide b) => CopyFileAsync(a, b, item, ct),
            _ => throw new InvalidOperationException("Unknown sync sides."),
        };

    /// <summary>The class an object is written in: -StorageClass, except that backup manifests stay readable (<see cref="StorageClasses.ForManifest"/>).</summary>
    private static string? StorageClassOf(SyncRequest request, string key) =>
        key.EndsWith(BackupName.ManifestSuffix, StringComparison.Ordinal) ? StorageClasses.ForManifest(request.StorageClass) : request.StorageClass;

    private static Dictionary<string, string> MetadataFor(DateTime modifiedUtc) => new() { [SyncEntry.MtimeMetadata] = SyncEntry.FormatMtime(modifiedUtc) };

    private static async Task UploadFileAsync(FolderSyncSide from, S3SyncSide to, SyncPlanItem item, SyncRequest request, CancellationToken ct)
    {
        var path = from.PathOf(item.Key);
        var key = to.KeyOf(item.Key);
        var modified = File.GetLastWriteTimeUtc(path);
        var contentType = ContentTypes.Of(item.Key);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await PutAsync(to, key, item, file, file.Length, contentType, modified, request, ct).ConfigureAwait(false);
    }

    /// <summary>One object into S3: a single PutObject under the multipart threshold, else a multipart upload.</summary>
    private static async Task PutAsync(S3SyncSide to, string key, SyncPlanItem item, Stream input, long length, string contentType, DateTime modified, SyncRequest request, CancellationToken ct)
    {
        if (length < request.MultipartThreshold)
        {
            if (!input.CanSeek)
            {
                // PutObject needs a length it can trust: a small object from another bucket is read first.
                var buffer = new byte[length];
                await input.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
                input = new MemoryStream(buffer, writable: false);
            }
            var storageClass = StorageClassOf(request, item.Key);
            var start = input.Position;
            try
            {
                await to.Retry.ExecuteAsync(c =>
                {
                    input.Position = start; // each attempt sends the whole body
                    var put = new PutObjectRequest
                    {
                        BucketName = to.Bucket, Key = key, InputStream = input, AutoCloseStream = false, ContentType = contentType, UseChunkEncoding = false,
                    };
                    put.Metadata.Add(SyncEntry.MtimeMetadata, SyncEntry.FormatMtime(modified));
                    if (storageClass is { Length: > 0 }) put.StorageClass = S3StorageClass.FindValue(storageClass);
                    return to.Client.PutObjectAsync(put, c);
                }, ct).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw S3Errors.Map(e, to.Describe(item.Key), true, storageClass is { Length: > 0 } ? S3StorageClass.FindValue(storageClass).Value : null);
            }
            return;
        }
        await using var upload = new S3UploadStream(to.Client, to.Bucket, key, StorageClassOf(request, item.Key), request.Upload with { ExpectedSize = length },
            to.Describe(item.Key), MetadataFor(modified), contentType, to.Retry);
        await input.CopyToAsync(upload, 1 << 20, ct).ConfigureAwait(false);
        await upload.CompleteAsync(ct).ConfigureAwait(false);
    }

    /// <summary>GETs the item's source object; S3 failures become ClutterExceptions naming the object.</summary>
    private static async Task<GetObjectResponse> GetSourceObjectAsync(S3SyncSide from, SyncPlanItem item, CancellationToken ct)
    {
        try
        {
            return await from.Retry.ExecuteAsync(c => from.Client.GetObjectAsync(new GetObjectRequest { BucketName = from.Bucket, Key = from.KeyOf(item.Key) }, c), ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, from.Describe(item.Key), false);
        }
    }

    /// <summary>The source's modification time: our mtime metadata, else the object's LastModified, else the listing's.</summary>
    private static DateTime ModifiedOf(GetObjectResponse response, SyncPlanItem item) =>
        SyncEntry.ParseMtime(response.Metadata[SyncEntry.MtimeMetadata]) ?? response.LastModified?.ToUniversalTime() ?? item.Source!.ModifiedUtc;

    private static async Task DownloadAsync(S3SyncSide from, FolderSyncSide to, SyncPlanItem item, CancellationToken ct)
    {
        var path = to.PathOf(item.Key);
        using (var response = await GetSourceObjectAsync(from, item, ct).ConfigureAwait(false))
        {
            await WriteFileAtomicallyAsync(path, response.ResponseStream, response.ContentLength, ModifiedOf(response, item), ct).ConfigureAwait(false);
        }
    }

    private static async Task CopyFileAsync(FolderSyncSide from, FolderSyncSide to, SyncPlanItem item, CancellationToken ct)
    {
        var source = from.PathOf(item.Key);
        await using var file = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await WriteFileAtomicallyAsync(to.PathOf(item.Key), file, file.Length, File.GetLastWriteTimeUtc(source), ct).ConfigureAwait(false);
    }

    /// <summary>Writes to a temporary name beside the final one, sets its time, then renames: a reader never sees half a file.</summary>
    private static async Task WriteFileAtomicallyAsync(string path, Stream content, long expectedLength, DateTime modifiedUtc, CancellationToken ct)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, FolderSyncSide.TempPrefix + Guid.NewGuid().ToString("N")[..12] + FolderSyncSide.TempSuffix);
        try
        {
            long written;
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            try
            {
                // A failed write of the file (a full disk) is DestinationWriteFailed, told apart from a failed read of the source.
                var guarded = new DestinationWriteStream(file, path, temp, () => expectedLength >= 0 ? expectedLength : null);
                await content.CopyToAsync(guarded, 1 << 16, ct).ConfigureAwait(false);
                await guarded.FlushAsync(ct).ConfigureAwait(false);
                written = file.Length;
            }
            catch
            {
                // On a full disk, closing fails again writing the buffered bytes; the file is closed all the same.
                try { await file.DisposeAsync().ConfigureAwait(false); } catch (IOException) { }
                throw;
            }
            await file.DisposeAsync().ConfigureAwait(false);
            if (expectedLength >= 0 && written != expectedLength)
                throw new IOException($"the transfer ended after {written:N0} of {expectedLength:N0} bytes");
            File.SetLastWriteTimeUtc(temp, modifiedUtc);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private async Task CopyObjectAsync(S3SyncSide from, S3SyncSide to, SyncPlanItem item, SyncRequest request, CancellationToken ct)
    {
        if (ReferenceEquals(from.Client, to.Client) && item.Size <= MaxCopyObjectSize && _serverCopyRefused == 0)
        {
            var copy = new CopyObjectRequest
            {
                SourceBucket = from.Bucket, SourceKey = from.KeyOf(item.Key),
                DestinationBucket = to.Bucket, DestinationKey = to.KeyOf(item.Key),
                MetadataDirective = S3MetadataDirective.COPY,
            };
            if (StorageClassOf(request, item.Key) is { Length: > 0 } storageClass) copy.StorageClass = S3StorageClass.FindValue(storageClass);
            try
            {
                await from.Retry.ExecuteAsync(c => from.Client.CopyObjectAsync(copy, c), ct).ConfigureAwait(false);
                return;
            }
            catch (AmazonS3Exception e) when (e.ErrorCode is "NoSuchBucket" or "NotImplemented" or "XNotImplemented" or "InvalidRequest" && !S3Errors.IsStorageClassRefusal(e, copy.StorageClass?.Value))
            {
                // Both buckets were just listed, so the endpoint does not understand the copy request
                // (s3rver misreads the SDK's encoded x-amz-copy-source): stream through this process instead.
                if (Interlocked.Exchange(ref _serverCopyRefused, 1) == 0)
                    _sink.Warning($"The S3 endpoint refused a server-side copy ({e.ErrorCode}: {e.Message}); copying through this machine instead.");
            }
            catch (Exception e)
            {
                throw S3Errors.Map(e, to.Describe(item.Key), true, copy.StorageClass?.Value);
            }
        }
        await StreamObjectAsync(from, to, item, request, ct).ConfigureAwait(false);
    }

    private static async Task StreamObjectAsync(S3SyncSide from, S3SyncSide to, SyncPlanItem item, SyncRequest request, CancellationToken ct)
    {
        using (var response = await GetSourceObjectAsync(from, item, ct).ConfigureAwait(false))
        {
            var modified = ModifiedOf(response, item);
            var contentType = string.IsNullOrEmpty(response.Headers.ContentType) ? ContentTypes.Of(item.Key) : response.Headers.ContentType;
            var key = to.KeyOf(item.Key);
            await PutAsync(to, key, item, response.ResponseStream, response.ContentLength, contentType, modified, request, ct).ConfigureAwait(false);
        }
    }

    private static async Task DeleteAsync(SyncSide destination, string key, CancellationToken ct)
    {
        switch (destination)
        {
            case S3SyncSide s:
                try
                {
                    await s.Retry.ExecuteAsync(c => s.Client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = s.Bucket, Key = s.KeyOf(key) }, c), ct).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    throw S3Errors.Map(e, s.Describe(key), true);
                }
                break;
            case FolderSyncSide f:
                var path = f.PathOf(key);
                File.Delete(path);
                // Remove folders the delete left empty, up to (not including) the root.
                for (var dir = Path.GetDirectoryName(path); dir is not null && dir.Length > f.Root.Length; dir = Path.GetDirectoryName(dir))
                {
                    try
                    {
                        if (Directory.EnumerateFileSystemEntries(dir).Any()) break;
                        Directory.Delete(dir);
                    }
                    catch (IOException) { break; } // another transfer just wrote into it
                }
                break;
        }
    }
}
