using Amazon.S3;
using Amazon.S3.Model;
using ClutterDR.Streams;

namespace ClutterDR.Storage;

/// <summary>
/// A write-only stream of unknown length uploaded as S3 multipart parts from a bounded set of buffers,
/// several parts in flight. A stream smaller than one part becomes a single PutObject. On any failure
/// or cancellation the multipart upload is aborted, so no orphan parts stay behind. Every request goes
/// through the repository's <see cref="RetryPolicy"/>. A CompleteMultipartUpload that fails after the
/// server may have applied it (a 5xx or a lost answer) is settled by a HEAD: the object with our size and
/// the ETag our parts make is complete; any other object under the key is removed, never left without its manifest.
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
    private readonly ObjectLock? _lock;
    private readonly RetryPolicy _retry;

    private byte[]? _current;
    private int _currentLength;
    private int _partNumber;
    private string? _uploadId;
    private long _length;
    private bool _finished;
    private string? _declaredSha256;

    /// <param name="metadata">User metadata (x-amz-meta-*) of the object, e.g. a kept modification time.</param>
    public S3UploadStream(IAmazonS3 client, string bucket, string key, string? storageClass, S3UploadOptions options, string describe,
        IReadOnlyDictionary<string, string>? metadata = null, string contentType = "application/octet-stream", RetryPolicy? retry = null)
    {
        _client = client; _bucket = bucket; _key = key; _storageClass = storageClass; _describe = describe;
        _metadata = metadata; _contentType = contentType; _retry = retry ?? new RetryPolicy();
        _initialPartSize = InitialPartSizeFor(options);
        _lock = options.ObjectLock;
        _slots = new SemaphoreSlim(Math.Max(1, options.PartsInFlight));
    }

    Stream IObjectWriter.Stream => this;

    void IObjectWriter.DeclareSha256(string sha256) => _declaredSha256 = sha256;

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
            throw new ClutterException(Errors.BackupTooLarge,
                $"The backup to '{_describe}' exceeds S3's 10,000 parts. Pass a larger expected size so that parts start bigger.", _describe);
        if (_uploadId is null)
        {
            try
            {
                // Not cut short by a stop: once the server has created the upload we need its id to abort it.
                _uploadId = (await S3Http.WithGraceAsync(g => _retry.ExecuteAsync(ct =>
                {
                    var init = new InitiateMultipartUploadRequest { BucketName = _bucket, Key = _key, ContentType = _contentType };
                    AddMetadata(init.Metadata, _metadata);
                    if (!string.IsNullOrEmpty(_storageClass)) init.StorageClass = S3StorageClass.FindValue(_storageClass);
                    if (_lock is not null) { init.ObjectLockMode = _lock.S3Mode; init.ObjectLockRetainUntilDate = _lock.RetainUntilUtc; }
                    return _client.InitiateMultipartUploadAsync(init, ct);
                }, g), cancellationToken).ConfigureAwait(false)).UploadId;
            }
            catch (Exception e)
            {
                throw S3Errors.Map(e, _describe, true, _storageClass);
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
        try
        {
            await _slots.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Stopped by a part that failed, not by the caller: that part's error is the one to report.
            await Task.WhenAny(Task.WhenAll(_parts)).ConfigureAwait(false);
            ThrowIfAnyPartFailed();
            throw;
        }
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
            var response = await _retry.ExecuteAsync(ct => _client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = _bucket,
                Key = _key,
                UploadId = _uploadId,
                PartNumber = number,
                PartSize = length,
                InputStream = new MemoryStream(buffer, 0, length, writable: false),
                UseChunkEncoding = false,
                MD5Digest = _lock is null ? null : ContentMd5(buffer, 0, length),
            }, ct), _cts.Token).ConfigureAwait(false);
            return new PartETag(number, response.ETag);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_cts.IsCancellationRequested)
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

    /// <summary>
    /// Some servers (Ceph RGW 16.2) complete a multipart upload without the retention its initiation asked for:
    /// read the object's retention back and set it where it is missing or shorter. An object that stays unlocked
    /// is an error, never a backup reported as locked that is not.
    /// </summary>
    private async Task EnsureRetentionAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await RetainedUntilAsync(cancellationToken).ConfigureAwait(false) >= _lock!.RetainUntilUtc) return;
            await _retry.ExecuteAsync(ct => _client.PutObjectRetentionAsync(new PutObjectRetentionRequest
            {
                BucketName = _bucket,
                Key = _key,
                Retention = new ObjectLockRetention { Mode = _lock.S3Mode == ObjectLockMode.Compliance ? ObjectLockRetentionMode.Compliance : ObjectLockRetentionMode.Governance, RetainUntilDate = _lock.RetainUntilUtc },
            }, ct), cancellationToken).ConfigureAwait(false);
            if (await RetainedUntilAsync(cancellationToken).ConfigureAwait(false) >= _lock.RetainUntilUtc) return;
        }
        catch (Exception e) when (e is not ClutterException and not OperationCanceledException)
        {
            throw S3Errors.Map(e, _describe, true);
        }
        throw new ClutterException(Errors.ObjectLockNotApplied,
            $"The server stored '{_describe}' without the Object Lock retention asked for (until {_lock.RetainUntilUtc:yyyy-MM-dd HH:mm:ss}Z), so the backup would not be protected. Check that the endpoint implements Object Lock and that the credentials may put object retention (s3:PutObjectRetention).",
            _describe);
    }

    private async Task<DateTime?> RetainedUntilAsync(CancellationToken cancellationToken)
    {
        try
        {
            var r = await _retry.ExecuteAsync(ct => _client.GetObjectRetentionAsync(new GetObjectRetentionRequest { BucketName = _bucket, Key = _key }, ct), cancellationToken).ConfigureAwait(false);
            return r.Retention?.RetainUntilDate?.ToUniversalTime();
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound && e.ErrorCode != "NoSuchKey" && e.ErrorCode != "NoSuchBucket")
        {
            return null; // no retention on the object (RGW: ObjectLockConfigurationNotFoundError; Amazon: NoSuchObjectLockConfiguration)
        }
    }

    /// <summary>Object Lock retention on a PutObject, with the Content-MD5 Amazon requires of such a request.</summary>
    internal static void ApplyLock(PutObjectRequest put, ObjectLock? objectLock, byte[] content, int length)
    {
        if (objectLock is null) return;
        put.ObjectLockMode = objectLock.S3Mode;
        put.ObjectLockRetainUntilDate = objectLock.RetainUntilUtc;
        put.MD5Digest = ContentMd5(content, 0, length);
    }

    private static string ContentMd5(byte[] buffer, int offset, int length) =>
        Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(buffer.AsSpan(offset, length)));

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
                var body = _current ?? Array.Empty<byte>();
                var length = _currentLength;
                try
                {
                    await _retry.ExecuteAsync(ct =>
                    {
                        var put = new PutObjectRequest
                        {
                            BucketName = _bucket,
                            Key = _key,
                            InputStream = new MemoryStream(body, 0, length, writable: false),
                            ContentType = _contentType,
                            UseChunkEncoding = false,
                        };
                        AddMetadata(put.Metadata, _metadata);
                        if (!string.IsNullOrEmpty(_storageClass)) put.StorageClass = S3StorageClass.FindValue(_storageClass);
                        ApplyLock(put, _lock, body, length);
                        return _client.PutObjectAsync(put, ct);
                    }, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    throw S3Errors.Map(e, _describe, true, _storageClass);
                }
            }
            else
            {
                if (_currentLength > 0) await StartPartAsync(cancellationToken).ConfigureAwait(false);
                var etags = (await Task.WhenAll(_parts).ConfigureAwait(false)).OrderBy(p => p.PartNumber).ToList();
                try
                {
                    await _retry.ExecuteAsync(ct => _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                    {
                        BucketName = _bucket,
                        Key = _key,
                        UploadId = _uploadId,
                        PartETags = etags,
                    }, ct), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The server may have applied a complete whose answer was an error or was lost (and then
                    // answer NoSuchUpload to the retry): what is under the key decides.
                    if (!await SettleFailedCompleteAsync(etags, cancellationToken).ConfigureAwait(false))
                        throw CompleteFailed(e);
                }
                if (_lock is not null) await EnsureRetentionAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// After CompleteMultipartUpload failed: true when the object under the key is this upload, complete:
    /// our size, and the multipart ETag our parts' ETags make (Amazon S3, Ceph RGW), or, where the server
    /// gives another ETag (s3rver: the MD5 of the content), the declared SHA-256 of the bytes read back.
    /// Otherwise any object there is removed (it would be data without a manifest) and false. Unknown
    /// (the server unreachable): false.
    /// </summary>
    private async Task<bool> SettleFailedCompleteAsync(List<PartETag> parts, CancellationToken cancellationToken)
    {
        GetObjectMetadataResponse head;
        try
        {
            head = await _retry.ExecuteAsync(ct => _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = _key }, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            return false; // not there (the complete was not applied), or it cannot be told: the complete's error stands
        }
        if (head.ContentLength == _length)
        {
            var etag = head.ETag?.Trim('"') ?? "";
            if (etag.Contains('-'))
            {
                if (string.Equals(etag, MultipartETag(parts.Select(p => p.ETag)), StringComparison.OrdinalIgnoreCase)) return true;
            }
            else if (_declaredSha256 is not null && await ReadBackMatchesAsync(_declaredSha256, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }
        try
        {
            await _retry.ExecuteAsync(ct => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = _key }, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Best effort: the complete's error is reported either way.
        }
        return false;
    }

    private async Task<bool> ReadBackMatchesAsync(string sha256, CancellationToken cancellationToken)
    {
        try
        {
            var actual = await _retry.ExecuteAsync(async ct =>
            {
                using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = _key }, ct).ConfigureAwait(false);
                return Convert.ToHexString(await System.Security.Cryptography.SHA256.HashDataAsync(response.ResponseStream, ct).ConfigureAwait(false));
            }, cancellationToken).ConfigureAwait(false);
            return string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The ETag S3 gives an object completed from parts with these ETags: MD5 of their MD5s, "-", their count; null when a part ETag is no MD5.</summary>
    internal static string? MultipartETag(IEnumerable<string> partETags)
    {
        var digests = new List<byte>();
        var count = 0;
        foreach (var etag in partETags)
        {
            var hex = etag.Trim('"');
            if (hex.Length != 32) return null;
            try { digests.AddRange(Convert.FromHexString(hex)); }
            catch (FormatException) { return null; }
            count++;
        }
        return Convert.ToHexString(System.Security.Cryptography.MD5.HashData(digests.ToArray())).ToLowerInvariant() + "-" + count;
    }

    private Exception CompleteFailed(Exception e)
    {
        var mapped = S3Errors.Map(e, _describe, true, _storageClass); // some servers check the storage class only here
        return mapped is ClutterException { ErrorId: "S3RequestFailed" or "S3Unreachable" } ce
            ? new ClutterException(ce.Error, $"{ce.Message.TrimEnd()} Completing the upload of '{_describe}' failed; nothing was kept there. Run the backup again.", ce.Target, e)
            : mapped;
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
                using var timeout = new CancellationTokenSource(S3Http.CleanupTimeout); // the whole budget, retries included
                await _retry.ExecuteAsync(ct => _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = _key, UploadId = _uploadId }, ct), timeout.Token).ConfigureAwait(false);
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
