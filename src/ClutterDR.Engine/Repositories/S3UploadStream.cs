using Amazon.S3;
using Amazon.S3.Model;
using ClutterDR.Streams;

namespace ClutterDR.Repositories;

/// <summary>
/// A write-only stream of unknown length uploaded as S3 multipart parts from a bounded set of buffers,
/// several parts in flight. A stream smaller than one part becomes a single PutObject. On any failure
/// or cancellation the multipart upload is aborted, so no orphan parts stay behind.
/// </summary>
internal sealed class S3UploadStream : WriteOnlyStream, IObjectWriter
{
    internal const int MaxParts = 10_000;
    internal const long MaxPartSize = 1L << 30; // our own cap (S3 allows 5 GiB): a byte[] buffer must stay under 2 GiB
    private const int PartsPerTier = 500;

    private readonly IAmazonS3 _client;
    private readonly string _bucket;
    private readonly string _key;
    private readonly string? _storageClass;
    private readonly string _describe;
    private readonly long _initialPartSize;
    private readonly SemaphoreSlim _slots;
    private readonly List<Task<PartETag>> _parts = new();
    private readonly Stack<byte[]> _free = new();
    private readonly CancellationTokenSource _cts = new();
    private readonly IReadOnlyDictionary<string, string>? _metadata;
    private readonly string _contentType;

    private byte[]? _current;
    private int _currentLength;
    private int _partNumber;
    private string? _uploadId;
    private long _length;
    private bool _finished;

    /// <param name="metadata">User metadata (x-amz-meta-*) of the object, e.g. a kept modification time.</param>
    public S3UploadStream(IAmazonS3 client, string bucket, string key, string? storageClass, S3UploadOptions options, string describe,
        IReadOnlyDictionary<string, string>? metadata = null, string contentType = "application/octet-stream")
    {
        _client = client; _bucket = bucket; _key = key; _storageClass = storageClass; _describe = describe;
        _metadata = metadata; _contentType = contentType;
        _initialPartSize = InitialPartSizeFor(options);
        _slots = new SemaphoreSlim(Math.Max(1, options.PartsInFlight));
    }

    Stream IObjectWriter.Stream => this;

    internal static long InitialPartSizeFor(S3UploadOptions options)
    {
        long size = Math.Max(5L << 20, options.InitialPartSize);
        if (options.ExpectedSize is long expected && expected > 0)
        {
            var needed = (expected + (MaxParts * 9 / 10) - 1) / (MaxParts * 9 / 10); // leave 10% headroom
            size = Math.Max(size, needed);
        }
        return Math.Min(size, MaxPartSize);
    }

    /// <summary>
    /// Part size for a 1-based part number: doubles every 500 parts up to 1 GiB. With 8 MiB first
    /// parts, 10,000 parts hold about 7 TB, more than the 5 TB S3 allows for one object.
    /// </summary>
    internal static long PartSizeFor(int partNumber, long initialPartSize)
    {
        var tier = (partNumber - 1) / PartsPerTier;
        var size = initialPartSize;
        for (var i = 0; i < tier && size < MaxPartSize; i++) size *= 2;
        return Math.Min(size, MaxPartSize);
    }

    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfFinished();
        while (!buffer.IsEmpty)
        {
            buffer = buffer[Append(buffer)..];
            if (PartFull) StartPartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ThrowIfFinished();
        while (!data.IsEmpty)
        {
            data = data[Append(data.Span)..];
            if (PartFull) await StartPartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Copies as much of the data as the current part buffer holds (renting one if none); returns how much.</summary>
    private int Append(ReadOnlySpan<byte> data)
    {
        if (_current is null)
        {
            _current = RentBuffer(PartSizeFor(_partNumber + 1, _initialPartSize));
            _currentLength = 0;
        }
        var n = Math.Min(data.Length, _current.Length - _currentLength);
        data[..n].CopyTo(_current.AsSpan(_currentLength));
        _currentLength += n;
        _length += n;
        return n;
    }

    private void ThrowIfFinished()
    {
        if (_finished) throw new ObjectDisposedException(nameof(S3UploadStream));
    }

    private bool PartFull => _current is not null && _currentLength == _current.Length;

    private byte[] RentBuffer(long size)
    {
        lock (_free)
        {
            while (_free.Count > 0)
            {
                var b = _free.Pop();
                if (b.Length == size) return b;
            }
        }
        return GC.AllocateUninitializedArray<byte>(checked((int)size));
    }

    private void ReturnBuffer(byte[] buffer)
    {
        lock (_free) _free.Push(buffer);
    }

    private async Task StartPartAsync(CancellationToken cancellationToken)
    {
        ThrowIfAnyPartFailed();
        if (_partNumber + 1 > MaxParts)
            throw new ClutterException("BackupTooLarge", FailureKind.LimitsExceeded,
                $"The backup to '{_describe}' exceeds S3's 10,000 parts. Pass a larger expected size so that parts start bigger.", _describe);
        if (_uploadId is null)
        {
            var init = new InitiateMultipartUploadRequest { BucketName = _bucket, Key = _key, ContentType = _contentType };
            AddMetadata(init.Metadata, _metadata);
            if (!string.IsNullOrEmpty(_storageClass)) init.StorageClass = S3StorageClass.FindValue(_storageClass);
            try
            {
                // Not cut short by a stop: once the server has created the upload we need its id to abort it.
                _uploadId = (await S3Http.WithGraceAsync(t => _client.InitiateMultipartUploadAsync(init, t), cancellationToken).ConfigureAwait(false)).UploadId;
            }
            catch (Exception e)
            {
                throw S3Errors.Map(e, _describe, true, _storageClass);
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
        await _slots.WaitAsync(linked.Token).ConfigureAwait(false);
        var buffer = _current!;
        var length = _currentLength;
        var number = ++_partNumber;
        _current = null;
        _currentLength = 0;
        _parts.Add(UploadPartAsync(buffer, length, number));
    }

    private async Task<PartETag> UploadPartAsync(byte[] buffer, int length, int number)
    {
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var response = await _client.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = _bucket,
                        Key = _key,
                        UploadId = _uploadId,
                        PartNumber = number,
                        PartSize = length,
                        InputStream = new MemoryStream(buffer, 0, length, writable: false),
                        UseChunkEncoding = false,
                    }, _cts.Token).ConfigureAwait(false);
                    return new PartETag(number, response.ETag);
                }
                catch (Exception e) when (attempt < 3 && e is not OperationCanceledException && !_cts.IsCancellationRequested
                                          && !(e is AmazonS3Exception s3 && (int)s3.StatusCode is >= 400 and < 500 && (int)s3.StatusCode != 429))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), _cts.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e)
        {
            _cts.Cancel(); // stop the other parts: this upload is lost anyway
            throw S3Errors.Map(e, _describe, true);
        }
        finally
        {
            ReturnBuffer(buffer);
            _slots.Release();
        }
    }

    internal static void AddMetadata(MetadataCollection target, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null) return;
        foreach (var (k, v) in metadata) target.Add(k, v);
    }

    private void ThrowIfAnyPartFailed()
    {
        foreach (var p in _parts)
            if (p.IsFaulted) p.GetAwaiter().GetResult();
    }

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_finished) throw new InvalidOperationException("The upload has already finished.");
        try
        {
            if (_uploadId is null)
            {
                var put = new PutObjectRequest
                {
                    BucketName = _bucket,
                    Key = _key,
                    InputStream = new MemoryStream(_current ?? Array.Empty<byte>(), 0, _currentLength, writable: false),
                    ContentType = _contentType,
                    UseChunkEncoding = false,
                };
                AddMetadata(put.Metadata, _metadata);
                if (!string.IsNullOrEmpty(_storageClass)) put.StorageClass = S3StorageClass.FindValue(_storageClass);
                try
                {
                    await _client.PutObjectAsync(put, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    throw S3Errors.Map(e, _describe, true, _storageClass);
                }
            }
            else
            {
                if (_currentLength > 0) await StartPartAsync(cancellationToken).ConfigureAwait(false);
                var etags = await Task.WhenAll(_parts).ConfigureAwait(false);
                try
                {
                    await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                    {
                        BucketName = _bucket,
                        Key = _key,
                        UploadId = _uploadId,
                        PartETags = etags.OrderBy(p => p.PartNumber).ToList(),
                    }, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    throw S3Errors.Map(e, _describe, true, _storageClass); // some servers check the class only here
                }
            }
            _finished = true;
        }
        catch
        {
            await AbortAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            _current = null;
        }
    }

    public async Task AbortAsync()
    {
        if (_finished) return;
        _finished = true;
        _cts.Cancel();
        try { await Task.WhenAll(_parts).ConfigureAwait(false); } catch { /* the parts' own errors are already reported */ }
        if (_uploadId is not null)
        {
            try
            {
                using var timeout = new CancellationTokenSource(S3Http.CleanupTimeout);
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = _key, UploadId = _uploadId }, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Best effort: a bucket lifecycle rule (AbortIncompleteMultipartUpload) catches what is left.
            }
        }
        _current = null;
        lock (_free) _free.Clear();
    }

    public override ValueTask DisposeAsync() => new(AbortAsync());

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_finished) AbortAsync().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }
}
