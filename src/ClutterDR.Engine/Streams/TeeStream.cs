namespace ClutterDR.Streams;

/// <summary>
/// Writes the same bytes to several streams (one stored backup, several copies). A branch whose write fails is
/// dropped, with its exception kept, and the others go on, as long as at least <c>minimumBranches</c> are left;
/// below that the write throws the last failure. Async writes go to all branches at once, so memory stays that of
/// the branches' own buffers and a slow destination only slows, never serialises, the others.
/// </summary>
internal sealed class TeeStream : WriteOnlyStream
{
    private readonly Stream[] _branches;
    private readonly Exception?[] _failures;
    private readonly int _minimum;

    public TeeStream(IReadOnlyList<Stream> branches, int minimumBranches)
    {
        if (branches.Count == 0) throw new ArgumentException("A tee needs at least one branch.", nameof(branches));
        _branches = branches.ToArray();
        _failures = new Exception?[_branches.Length];
        _minimum = Math.Clamp(minimumBranches, 1, _branches.Length);
    }

    public override bool CanWrite => true;

    /// <summary>The failure that dropped branch i, or null while it is alive.</summary>
    public Exception? FailureOf(int branch) => _failures[branch];

    public int AliveCount => _failures.Count(f => f is null);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        for (var i = 0; i < _branches.Length; i++)
        {
            if (_failures[i] is not null) continue;
            try { _branches[i].Write(buffer); }
            catch (Exception e) when (e is not OperationCanceledException) { Drop(i, e); }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_branches.Length == 1)
        {
            if (_failures[0] is null)
            {
                try { await _branches[0].WriteAsync(buffer, cancellationToken).ConfigureAwait(false); }
                catch (Exception e) when (e is not OperationCanceledException) { Drop(0, e); }
            }
            return;
        }
        var writes = new Task?[_branches.Length];
        for (var i = 0; i < _branches.Length; i++)
            if (_failures[i] is null) writes[i] = WriteBranchAsync(_branches[i], buffer, cancellationToken);
        for (var i = 0; i < writes.Length; i++)
        {
            if (writes[i] is not Task t) continue;
            try { await t.ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException) { Drop(i, e); }
        }
    }

    // An async method, so that a branch throwing before it returns its task fails that task, not the loop.
    private static async Task WriteBranchAsync(Stream branch, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
        await branch.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);

    public override void Flush()
    {
        for (var i = 0; i < _branches.Length; i++)
        {
            if (_failures[i] is not null) continue;
            try { _branches[i].Flush(); }
            catch (Exception e) when (e is not OperationCanceledException) { Drop(i, e); }
        }
    }

    private void Drop(int branch, Exception e)
    {
        _failures[branch] = e;
        if (AliveCount < _minimum) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
    }
}
