using ClutterDR.Catalog;
using ClutterDR.Repository;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Backup;

/// <summary>One destination of a backup and what it holds of it.</summary>
internal sealed class BackupCopy
{
    public BackupCopy(BackupRepository repository) => Repository = repository;
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

/// <summary>Fewer copies than the minimum are left before the manifests: the backup fails, and the error names every failed copy.</summary>
internal sealed class TooFewCopiesException : Exception
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
internal sealed class CopySet : IAsyncDisposable
{
    private readonly IEngineHost _sink;
    private readonly Func<BackupRepository, string?, Task> _release;
    public CopySet(List<BackupCopy> all, int minimum, IEngineHost sink, Func<BackupRepository, string?, Task> release)
    {
        All = all; Minimum = minimum; _sink = sink; _release = release;
    }
    public List<BackupCopy> All { get; }
    public int Minimum { get; }
    /// <summary>Set once manifests are being written: a failure then drops its copy, and no longer the backup.</summary>
    public bool Committing { get; set; }
    public List<BackupCopy> Alive => All.Where(c => c.Failure is null).ToList();
    public List<ClutterException> Failures => All.Where(c => c.Failure is not null).Select(c => c.Failure as ClutterException ?? new ClutterException(Errors.UnexpectedError, c.Failure!.Message, c.Repository.Location.ToString(), c.Failure)).ToList();

    /// <summary>Whether each destination can be written, found out in the background while the database is opened.</summary>
    public void StartWritableChecks(CancellationToken cancellationToken)
    {
        foreach (var c in All)
        {
            var repository = c.Repository;
            c.Pending = Task.Run(() => repository.EnsureWritableAsync(cancellationToken), cancellationToken);
            _ = c.Pending.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted); // observed, should a database error come first
        }
    }

    /// <summary>Per live copy, in the background while the snapshot is taken: whether names can be claimed, and the debris sweep.</summary>
    public void StartPreparations(string database, TimeSpan debrisAge, CancellationToken cancellationToken)
    {
        foreach (var c in Alive)
        {
            // Whether names can be claimed there (an S3 endpoint is probed once per process), found out meanwhile.
            c.CanClaim = c.Repository.CanClaimAsync(cancellationToken);
            _ = c.CanClaim.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted); // observed, should the snapshot fail first
            // What killed backups of this database left (never fails the backup); done before this backup creates anything.
            c.Pending = DebrisService.RemoveForBackupAsync(c.Repository, database, debrisAge, _sink, cancellationToken);
            _ = c.Pending.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        }
    }

    /// <summary>
    /// The stored bytes to every live copy: one copy writes to its stream itself; several share them through a tee,
    /// which drops a failing copy as long as enough are left.
    /// </summary>
    public async Task<T> WriteAllAsync<T>(Func<Stream, Task<T>> write)
    {
        var writing = Alive;
        var tee = writing.Count == 1 ? null : new TeeStream(writing.Select(c => c.Writer!.Stream).ToList(), Minimum);
        try
        {
            return await write(tee ?? writing[0].Writer!.Stream).ConfigureAwait(false);
        }
        finally
        {
            if (tee is not null)
                for (var i = 0; i < writing.Count; i++)
                    if (tee.FailureOf(i) is Exception dropped) Drop(writing[i], dropped);
        }
    }

    /// <summary>Commits every live copy's data object, declaring the SHA-256 of its bytes.</summary>
    public Task CommitDataAsync(string sha256, CancellationToken cancellationToken) => EachAsync(async c =>
    {
        c.Writer!.DeclareSha256(sha256);
        await c.Writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        c.DataCommitted = true;
    });

    /// <summary>Runs step on every live copy at once; a copy whose step fails is dropped (see Drop).</summary>
    public async Task EachAsync(Func<BackupCopy, Task> step)
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

    public Task AwaitEachAsync(Func<BackupCopy, Task> task) => EachAsync(task);

    /// <summary>
    /// A copy failed: with one destination that is the backup's failure; with several the copy is undone
    /// and the others go on, unless fewer than Minimum are left before the manifests are written.
    /// </summary>
    public void Drop(BackupCopy c, Exception e)
    {
        if (All.Count == 1) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
        if (c.Failure is not null) return;
        c.Failure = e;
        _ = UndoAsync(c); // leaves no trace there; awaited again by UndoUncommittedAsync/DisposeAsync
        if (!Committing && Alive.Count < Minimum) throw new TooFewCopiesException(); // the error says it all
        _sink.Warning($"The copy to {c.Repository.Location} failed and was dropped{(Committing && Alive.Count < Minimum ? "" : $"; the backup goes on with {Alive.Count} cop{(Alive.Count == 1 ? "y" : "ies")}")}: {e.Message}");
    }

    private readonly Dictionary<BackupCopy, Task> _undo = new();

    private Task UndoAsync(BackupCopy c)
    {
        lock (_undo)
        {
            if (!_undo.TryGetValue(c, out var t)) _undo[c] = t = UndoCoreAsync(c);
            return t;
        }
    }

    private async Task UndoCoreAsync(BackupCopy c)
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
