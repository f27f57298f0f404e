using ClutterDR.Catalog;

[assembly: ClutterDR.Streams.StoredCodec(typeof(ClutterDR.Streams.NoneCodec))]

namespace ClutterDR.Streams;

/// <summary>No compression: the dump stored as pg_dump wrote it, through a stream that leaves its inner one open.</summary>
internal sealed class NoneCodec : ICodec
{
    public CompressionKind Kind => CompressionKind.None;
    public string Name => "None";
    public string? Extension => null;
    public int DefaultLevel => 0;
    public (int Min, int Max) Levels => (0, 0);
    public Stream WrapForWrite(Stream inner, int level) => new NonClosingStream(inner);
    public Stream WrapForRead(Stream inner) => new NonClosingStream(inner);
    public bool IsDataError(Exception e) => false;

    private sealed class NonClosingStream : Stream
    {
        private readonly Stream _inner;
        public NonClosingStream(Stream inner) => _inner = inner;
        public override bool CanRead => _inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => _inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => _inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _inner.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.WriteAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
