using System.Diagnostics;
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
    /// same <see cref="RetryPolicy"/> (StorageRetry) as each S3 request (whose retries come from SourceS3/DestinationS3.MaxRetries).
    /// </summary>
    public int MaxRetries { get; init; } = RetryPolicy.DefaultMaxRetries;
}

/// <summary>
/// Plans (pure, <see cref="SyncPlanner"/>) and executes a sync: listings of both sides, details
/// only where a listing cannot decide, then up to ThrottleLimit transfers at once, each retried
/// with backoff on transient failures (SyncExecution.cs), each through the two sides' stores (SyncTransfers.cs).
/// The source is only read. The host confirms the changes, gets every item and every problem.
/// </summary>
public sealed partial class SyncService
{
    private const long MaxCopyObjectSize = 5L << 30;
    private readonly IEngineHost _sink;
    private int _serverCopyRefused;

    public SyncService(IEngineHost sink) => _sink = sink;

    /// <summary>Set when the endpoint refused a server-side copy and streamed copies took over.</summary>
    public bool ServerCopyRefused => _serverCopyRefused != 0;

    public async Task<SyncSummary> RunAsync(SyncRequest request, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        Validate(request);
        var connections = Math.Max(request.ThrottleLimit, 1) * (request.Upload.PartsInFlight + 1) + 4;
        var folderOptions = new FolderStoreOptions(FailOnInaccessible: true);
        using var source = new SyncSide(ObjectStores.Open(request.Source, request.SourceS3, request.Upload, maxConnections: connections, folder: folderOptions), isSource: true)
            { ListParallelism = request.ThrottleLimit };
        // One client for both sides of one endpoint: copies between them are server-side.
        using var destination = new SyncSide(ObjectStores.Open(request.Destination, request.DestinationS3, request.Upload, maxConnections: connections,
            shareClientWith: source.Store, folder: folderOptions with { PruneEmptyFolders = true }), isSource: false) { ListParallelism = request.ThrottleLimit };
        List<SyncEntry> srcList, dstList;
        if (source.IsFolder && !destination.IsFolder)
        {
            // The folder lists in milliseconds; its keys tell how to split the bucket listing.
            srcList = await source.ListAsync(null, cancellationToken).ConfigureAwait(false);
            dstList = await destination.ListAsync(srcList.Select(e => e.Key).ToList(), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var listSource = source.ListAsync(null, cancellationToken);
            var listDestination = destination.ListAsync(null, cancellationToken);
            await Task.WhenAll(listSource, listDestination).ConfigureAwait(false);
            srcList = listSource.Result;
            dstList = listDestination.Result;
        }
        _sink.Verbose($"Listed {srcList.Count:N0} source and {dstList.Count:N0} destination entries in {watch.Elapsed.TotalSeconds:N1} s.");

        var planOptions = request.Plan with { DestinationIsFolder = destination.IsFolder };
        var plan = SyncPlanner.Plan(srcList, dstList, planOptions);
        plan = await LoadDetailsAsync(plan, source, destination, request, cancellationToken).ConfigureAwait(false);
        _sink.Verbose($"Plan after {watch.Elapsed.TotalSeconds:N2} s: {plan.Count(i => i.Action == SyncActionKind.Copy):N0} to copy, {plan.Count(i => i.Action == SyncActionKind.Update):N0} to update, {plan.Count(i => i.Action == SyncActionKind.Delete):N0} to delete, {plan.Count(i => i.Action == SyncActionKind.Skip):N0} unchanged.");

        return await ExecuteAsync(plan, source, destination, request, watch, cancellationToken).ConfigureAwait(false);
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
}
