using ClutterDR.Catalog;
using ClutterDR.Storage;
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
            await using (var c = StoredFormat.CodecOf(kind).WrapForWrite(hashing, StoredFormat.CodecOf(kind).DefaultLevel))
                await StreamPump.CopyAsync(new MemoryStream(data), c, null, CancellationToken.None);
            writeHash = hashing.FinishHash();
        }
        if (kind != CompressionKind.None) Assert.True(stored.Length < data.Length);
        stored.Position = 0;
        using var readHashing = new HashingStream(stored);
        var back = new MemoryStream();
        await using (var d = StoredFormat.CodecOf(kind).WrapForRead(readHashing))
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
        await using (var c = StoredFormat.CodecOf(CompressionKind.Zstd).WrapForWrite(stored, 3)) await c.WriteAsync(data);
        var bytes = stored.ToArray();
        bytes[bytes.Length / 2] ^= 0x40;
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var d = StoredFormat.CodecOf(CompressionKind.Zstd).WrapForRead(new MemoryStream(bytes));
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

public class TeeStreamTests
{
    private sealed class FailingAfter : MemoryStream
    {
        private readonly int _bytes;
        public FailingAfter(int bytes) { _bytes = bytes; }
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Length + buffer.Length > _bytes) throw new IOException("No space left on device");
            var copy = buffer.ToArray();
            base.Write(copy, 0, copy.Length);
        }
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task EveryBranchGetsEveryByteSyncAndAsync()
    {
        var a = new MemoryStream();
        var b = new MemoryStream();
        var tee = new TeeStream(new Stream[] { a, b }, 2);
        var data = System.Security.Cryptography.RandomNumberGenerator.GetBytes(100_000);
        tee.Write(data, 0, 40_000);
        await tee.WriteAsync(data.AsMemory(40_000));
        Assert.Equal(data, a.ToArray());
        Assert.Equal(data, b.ToArray());
        Assert.Equal(2, tee.AliveCount);
    }

    [Fact]
    public async Task AFailingBranchIsDroppedWhileEnoughAreLeft()
    {
        var good = new MemoryStream();
        var full = new FailingAfter(1000);
        var tee = new TeeStream(new Stream[] { full, good }, 1);
        for (var i = 0; i < 10; i++) await tee.WriteAsync(new byte[500]);
        Assert.Equal(5000, good.Length);
        Assert.Equal(1, tee.AliveCount);
        Assert.IsType<IOException>(tee.FailureOf(0));
        Assert.Null(tee.FailureOf(1));
        Assert.Equal(1000, full.Length); // nothing more was written to it once it failed
    }

    [Fact]
    public void BelowTheMinimumTheWriteFailsWithTheBranchsError()
    {
        var tee = new TeeStream(new Stream[] { new FailingAfter(100), new MemoryStream() }, 2);
        tee.Write(new byte[50]);
        var e = Assert.Throws<IOException>(() => tee.Write(new byte[100]));
        Assert.Equal("No space left on device", e.Message);
    }

    [Fact]
    public async Task CancellationIsNotAFailedBranch()
    {
        var tee = new TeeStream(new Stream[] { new MemoryStream(), new MemoryStream() }, 1);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await tee.WriteAsync(new byte[10], cts.Token));
        Assert.Equal(2, tee.AliveCount);
    }
}
