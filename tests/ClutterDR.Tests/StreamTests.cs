using ClutterDR.Catalog;
using ClutterDR.Repositories;
using ClutterDR.Streams;

namespace ClutterDR.Tests;

public class PartSizeTests
{
    [Fact]
    public void TenThousandPartsHoldFiveTerabytes()
    {
        long initial = S3UploadStream.InitialPartSizeFor(new S3UploadOptions());
        long total = 0;
        for (var part = 1; part <= S3UploadStream.MaxParts; part++)
        {
            var size = S3UploadStream.PartSizeFor(part, initial);
            Assert.InRange(size, 5L << 20, S3UploadStream.MaxPartSize);
            total += size;
        }
        Assert.True(total >= 5_000_000_000_000L, $"10,000 parts hold only {total} bytes");
    }

    [Fact]
    public void PartsStartAtEightMebibytesAndGrow()
    {
        Assert.Equal(8L << 20, S3UploadStream.PartSizeFor(1, 8L << 20));
        Assert.Equal(8L << 20, S3UploadStream.PartSizeFor(500, 8L << 20));
        Assert.Equal(16L << 20, S3UploadStream.PartSizeFor(501, 8L << 20));
    }

    [Fact]
    public void ExpectedSizeHintRaisesTheFirstPart()
    {
        var size = S3UploadStream.InitialPartSizeFor(new S3UploadOptions { ExpectedSize = 900_000_000_000L });
        Assert.True(size >= 900_000_000_000L / 9000);
    }
}

public class CompressionTests
{
    [Theory]
    [InlineData(CompressionKind.Zstd)]
    [InlineData(CompressionKind.Gzip)]
    [InlineData(CompressionKind.None)]
    public async Task RoundTripsThroughHashingStreams(CompressionKind kind)
    {
        var data = new byte[3_000_000];
        new Random(42).NextBytes(data.AsSpan(0, 1_000_000)); // part random, part compressible zeros
        var stored = new MemoryStream();
        string writeHash;
        using (var hashing = new HashingStream(stored))
        {
            await using (var c = Compression.Compress(kind, Compression.DefaultLevel(kind), hashing))
                await StreamPump.CopyAsync(new MemoryStream(data), c, null, CancellationToken.None);
            writeHash = hashing.FinishHash();
        }
        if (kind != CompressionKind.None) Assert.True(stored.Length < data.Length);
        stored.Position = 0;
        using var readHashing = new HashingStream(stored);
        var back = new MemoryStream();
        await using (var d = Compression.Decompress(kind, readHashing))
            await d.CopyToAsync(back);
        Assert.Equal(data, back.ToArray());
        Assert.Equal(writeHash, readHashing.FinishHash());
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(stored.ToArray()), Convert.FromHexString(writeHash));
    }

    [Fact]
    public async Task CorruptZstdIsDetected()
    {
        var data = new byte[500_000];
        for (var i = 0; i < data.Length; i++) data[i] = (byte)(i % 251);
        var stored = new MemoryStream();
        await using (var c = Compression.Compress(CompressionKind.Zstd, 3, stored)) await c.WriteAsync(data);
        var bytes = stored.ToArray();
        bytes[bytes.Length / 2] ^= 0x40;
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var d = Compression.Decompress(CompressionKind.Zstd, new MemoryStream(bytes));
            await d.CopyToAsync(Stream.Null);
        });
    }

    [Fact]
    public async Task PumpPropagatesSourceFailures()
    {
        await Assert.ThrowsAsync<IOException>(() => StreamPump.CopyAsync(new FailingStream(), Stream.Null, null, CancellationToken.None));
    }

    private sealed class FailingStream : MemoryStream
    {
        private int _reads;
        public override int Read(byte[] buffer, int offset, int count) => ++_reads > 2 ? throw new IOException("boom") : count;
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ++_reads > 2 ? throw new IOException("boom") : new ValueTask<int>(buffer.Length);
    }
}
