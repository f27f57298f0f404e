namespace ClutterDR.Streams;

/// <summary>What a write of the stored format reports: bytes in (raw), bytes stored and their SHA-256 (lower-case hex).</summary>
public sealed record StoredResult(long RawBytes, long StoredBytes, string Sha256);

/// <summary>
/// One write through <see cref="StoredFormat"/>'s chain: <see cref="Input"/> takes the raw bytes (or
/// <see cref="PumpAsync"/> copies them in through <see cref="StreamPump"/>); <see cref="CompleteAsync"/> ends the
/// compressed frame and the OpenPGP message and reports the sizes and the SHA-256 of what was stored. Disposing
/// without completing closes the chain the same way (the destination decides whether to keep what it got).
/// </summary>
public sealed class StoredWriter : IAsyncDisposable
{
    private readonly HashingStream? _hashing;
    private readonly Stream? _armored;
    private readonly Stream? _encrypted;
    private bool _closed;

    internal StoredWriter(HashingStream? hashing, Stream? armored, Stream? encrypted, Stream input)
    {
        _hashing = hashing; _armored = armored; _encrypted = encrypted; Input = input;
    }

    /// <summary>Where the raw bytes are written.</summary>
    public Stream Input { get; }

    /// <summary>Raw bytes that went in through <see cref="PumpAsync"/> or were counted with <see cref="AddRaw"/>.</summary>
    public long RawBytes { get; private set; }

    /// <summary>Copies the source to its end into the chain (read-ahead on a thread of its own); returns the raw bytes.</summary>
    public async Task<long> PumpAsync(Stream source, Action<long>? onProgress, CancellationToken cancellationToken)
    {
        RawBytes += await StreamPump.CopyAsync(source, Input, onProgress, cancellationToken).ConfigureAwait(false);
        return RawBytes;
    }

    /// <summary>Counts raw bytes a caller wrote to <see cref="Input"/> itself.</summary>
    public void AddRaw(long bytes) => RawBytes += bytes;

    /// <summary>Ends the chain (frame, message, armor) and reports what was stored.</summary>
    public async Task<StoredResult> CompleteAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        return new StoredResult(RawBytes, _hashing?.BytesCount ?? 0, _hashing?.FinishHash() ?? "");
    }

    private async Task CloseAsync()
    {
        if (_closed) return;
        _closed = true;
        try
        {
            await Input.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            try { _encrypted?.Dispose(); }
            finally { _armored?.Dispose(); }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { await CloseAsync().ConfigureAwait(false); }
        finally { _hashing?.Dispose(); }
    }
}
