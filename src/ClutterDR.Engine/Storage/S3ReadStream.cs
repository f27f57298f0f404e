using Amazon.S3.Model;

namespace ClutterDR.Storage;

/// <summary>The body of a GetObject answer, which it keeps alive as long as it is read.</summary>
internal sealed class S3ReadStream : ObjectReadStream
{
    private readonly GetObjectResponse _response;
    private readonly Stream _inner;
    public S3ReadStream(GetObjectResponse response, ObjectStat stat) { _response = response; _inner = response.ResponseStream; Stat = stat; }
    public override ObjectStat Stat { get; }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _response.ContentLength;
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => _inner.Read(buffer);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing)
    {
        if (disposing) { _inner.Dispose(); _response.Dispose(); }
        base.Dispose(disposing);
    }
}
