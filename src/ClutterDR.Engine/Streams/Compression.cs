using System.IO.Compression;
using ClutterDR.Catalog;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace ClutterDR.Streams;

/// <summary>The one place compression streams are made, for writing and for reading.</summary>
public static class Compression
{
    /// <summary>
    /// Level 1: a backup competes for the same cores as the server producing the dump, and on the
    /// Clutter fixture level 3 cost 2.3 times the CPU of level 1 for 1% smaller output (bench/backup.ps1).
    /// </summary>
    public const int DefaultZstdLevel = 1;

    public static int DefaultLevel(CompressionKind kind) => kind switch
    {
        CompressionKind.Zstd => DefaultZstdLevel,
        CompressionKind.Gzip => 6,
        _ => 0,
    };

    public static (int Min, int Max) LevelRange(CompressionKind kind) => kind switch
    {
        CompressionKind.Zstd => (1, 19),
        CompressionKind.Gzip => (1, 9),
        _ => (0, 0),
    };

    /// <summary>A stream that compresses what is written to it into <paramref name="inner"/> (left open).</summary>
    public static Stream Compress(CompressionKind kind, int level, Stream inner)
    {
        switch (kind)
        {
            case CompressionKind.Zstd:
                var zstd = new CompressionStream(inner, level, 1 << 20, leaveOpen: true);
                zstd.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1); // detect corruption on restore
                return zstd;
            case CompressionKind.Gzip:
                var gzLevel = level switch
                {
                    <= 1 => CompressionLevel.Fastest,
                    >= 9 => CompressionLevel.SmallestSize,
                    _ => CompressionLevel.Optimal,
                };
                return new GZipStream(inner, gzLevel, leaveOpen: true);
            default:
                return new NonClosingStream(inner);
        }
    }

    /// <summary>A stream that reads decompressed bytes out of <paramref name="inner"/> (left open).</summary>
    public static Stream Decompress(CompressionKind kind, Stream inner) => kind switch
    {
        CompressionKind.Zstd => new DecompressionStream(inner, 1 << 20, checkEndOfStream: true, leaveOpen: true),
        CompressionKind.Gzip => new GZipStream(inner, CompressionMode.Decompress, leaveOpen: true),
        _ => new NonClosingStream(inner),
    };

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
