using System.Diagnostics;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Sync;

/// <summary>
/// Carrying out a sync's plan: the host confirms the changes, then up to ThrottleLimit transfers and deletes
/// at once, each item told to the host as it ends; a failure of one item is a problem (and the summary's),
/// one that every item would meet stops the call.
/// </summary>
public sealed partial class SyncService
{
    private async Task<SyncSummary> ExecuteAsync(List<SyncPlanItem> plan, SyncSide source, SyncSide destination, SyncRequest request,
        Stopwatch watch, CancellationToken cancellationToken)
    {
        var retry = StorageRetry.Policy(request.MaxRetries);
        var problems = new List<ClutterException>();
        int copied = 0, updated = 0, deleted = 0, skipped = 0, failed = 0;
        long bytes = 0;
        var work = new List<SyncPlanItem>();
        var changes = new List<SyncPlanItem>();
        foreach (var item in plan)
        {
            if (item.Action == SyncActionKind.Skip)
            {
                skipped++;
                await _sink.ItemAsync(ItemOf(item, destination, SyncItemStatus.Done)).ConfigureAwait(false);
            }
            else if (item.Refusal is not null)
            {
                failed++;
                var e = new ClutterException(Errors.UnsafeObjectKey,
                    $"The object '{source.Describe(item.Key)}' cannot be written under '{destination.Location}': {item.Refusal}. It was skipped and the rest goes on; rename the object (or leave it out with -Exclude) to sync it.",
                    source.Describe(item.Key));
                lock (problems) problems.Add(e);
                await _sink.ProblemAsync(e).ConfigureAwait(false);
                await _sink.ItemAsync(ItemOf(item, destination, SyncItemStatus.Failed, e.Message)).ConfigureAwait(false);
            }
            else
            {
                changes.Add(item);
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        var consents = changes.Count == 0 ? Array.Empty<Consent>()
            : await _sink.ConfirmAsync(changes.Select(i => new PlannedChange(i.Action.ToString(), destination.Describe(i.Key))).ToList()).ConfigureAwait(false);
        var whatIf = false;
        for (var i = 0; i < changes.Count; i++)
        {
            switch (consents[i])
            {
                case Consent.Run:
                    work.Add(changes[i]);
                    break;
                case Consent.WhatIf:
                    // -WhatIf: the summary counts what would happen, and says it is a what-if.
                    whatIf = true;
                    switch (changes[i].Action)
                    {
                        case SyncActionKind.Copy: copied++; bytes += changes[i].Size; break;
                        case SyncActionKind.Update: updated++; bytes += changes[i].Size; break;
                        case SyncActionKind.Delete: deleted++; break;
                    }
                    await _sink.ItemAsync(ItemOf(changes[i], destination, SyncItemStatus.NotRun)).ConfigureAwait(false);
                    break;
                default:
                    skipped++;
                    await _sink.ItemAsync(ItemOf(changes[i], destination, SyncItemStatus.NotRun)).ConfigureAwait(false);
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
                    await destination.Store.DeleteAsync(item.Key, ct).ConfigureAwait(false);
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
                await _sink.ItemAsync(ItemOf(item, destination, SyncItemStatus.Done)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var error = MapItemError(e, item, source, destination);
                if (error.Is(Errors.StorageClassRejected) || error.Is(Errors.DestinationNotFound) || error.Is(Errors.S3CredentialsNotFound) || error.Is(Errors.DestinationWriteFailed))
                {
                    // Every other item would fail the same way: stop them and fail the call once.
                    lock (writeLock) fatal ??= error;
                    abort.Cancel();
                    return;
                }
                lock (writeLock) failed++;
                progress.ItemDone(0);
                lock (problems) problems.Add(error);
                await _sink.ProblemAsync(error).ConfigureAwait(false);
                await _sink.ItemAsync(ItemOf(item, destination, SyncItemStatus.Failed, error.Message)).ConfigureAwait(false);
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
            Duration = watch.Elapsed, WhatIf = whatIf, Problems = problems.ToArray(),
        };
    }

    private static SyncItem ItemOf(SyncPlanItem item, SyncSide destination, SyncItemStatus status, string? error = null) => new()
    {
        Action = item.Action, Key = item.Key, Size = item.Size, Status = status, Destination = destination.Describe(item.Key), Error = error,
    };

    private static ClutterException MapItemError(Exception e, SyncPlanItem item, SyncSide source, SyncSide destination)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerException!;
        if (e is ObjectNotFoundException { InnerException: { } inner }) e = inner; // the backend's own answer, as before
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
}
