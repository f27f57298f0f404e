using System.Runtime.CompilerServices;
using Amazon.Runtime;
using RetryPolicy = ClutterDR.Common.RetryPolicy;
using Amazon.S3;
using Amazon.S3.Model;
using ClutterDR.Catalog;

namespace ClutterDR.Storage;

/// <summary>Backups in an S3-compatible bucket under a prefix.</summary>
public sealed class S3Repository : IBackupRepository
{
    private readonly IAmazonS3 _client;
    private readonly S3UploadOptions _uploadOptions;
    private readonly RetryPolicy _retry;
    private readonly string _endpointAndBucket;

    public S3Repository(BackupLocation location, S3Options options, S3UploadOptions? uploadOptions = null)
    {
        Location = location;
        _client = S3ClientFactory.Create(options);
        _uploadOptions = uploadOptions ?? new S3UploadOptions();
        _retry = RetryPolicy.For(options);
        _endpointAndBucket = (options.EndpointUrl ?? "aws:" + (options.Region ?? _client.Config.RegionEndpoint?.SystemName)) + " " + location.Bucket;
    }

    /// <summary>How every request of this repository is retried.</summary>
    internal RetryPolicy Retry => _retry;

    public BackupLocation Location { get; }

    private string KeyOf(string key) => Location.FullKey(key);

    public async Task EnsureWritableAsync(CancellationToken cancellationToken)
    {
        await ProbeAsync(true, cancellationToken).ConfigureAwait(false);
        if (_uploadOptions.ObjectLock is not null) await EnsureObjectLockAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Object Lock retention needs a bucket created with Object Lock (or given it later): else every PUT would be refused.</summary>
    private async Task EnsureObjectLockAsync(CancellationToken cancellationToken)
    {
        bool enabled;
        try
        {
            var config = await _retry.ExecuteAsync(ct => _client.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = Location.Bucket }, ct), cancellationToken).ConfigureAwait(false);
            enabled = config.ObjectLockConfiguration?.ObjectLockEnabled == ObjectLockEnabled.Enabled;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "ObjectLockConfigurationNotFoundError" or "ObjectLockConfigurationNotFound"
                                          || (e.StatusCode == System.Net.HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket"))
        {
            enabled = false;
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Location.ToString(), true);
        }
        if (!enabled)
            throw new ClutterException(Errors.ObjectLockNotEnabled,
                $"The bucket '{Location.Bucket}' does not have S3 Object Lock enabled, so -RetainUntil cannot protect a backup there. Back up to a bucket created with Object Lock (aws s3api create-bucket --object-lock-enabled-for-bucket), enable it on this versioned bucket (aws s3api put-object-lock-configuration), or leave out -RetainUntil. Nothing was written.",
                Location.ToString());
    }
    public async Task EnsureReadableAsync(CancellationToken cancellationToken) => await ProbeAsync(false, cancellationToken).ConfigureAwait(false);

    private async Task ProbeAsync(bool forWrite, CancellationToken cancellationToken)
    {
        try
        {
            await _retry.ExecuteAsync(ct => _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Location.Bucket, Prefix = Location.Prefix, MaxKeys = 1 }, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Location.ToString(), forWrite);
        }
    }

    public Task<IObjectWriter> CreateAsync(string key, string? storageClass, CancellationToken cancellationToken) =>
        Task.FromResult<IObjectWriter>(new S3UploadStream(_client, Location.Bucket, KeyOf(key), storageClass, _uploadOptions, Describe(key), retry: _retry));

    private string Describe(string key) => Location.Describe(key);

    public async Task PutAsync(string key, byte[] content, string contentType, string? storageClass, CancellationToken cancellationToken)
    {
        try
        {
            await _retry.ExecuteAsync(ct =>
            {
                var request = new PutObjectRequest
                {
                    BucketName = Location.Bucket,
                    Key = KeyOf(key),
                    InputStream = new MemoryStream(content, writable: false),
                    ContentType = contentType,
                    UseChunkEncoding = false,
                };
                if (!string.IsNullOrEmpty(storageClass)) request.StorageClass = S3StorageClass.FindValue(storageClass);
                S3UploadStream.ApplyLock(request, _uploadOptions.ObjectLock, content, content.Length);
                return _client.PutObjectAsync(request, ct);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Describe(key), true, storageClass);
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _retry.ExecuteAsync(ct => _client.GetObjectMetadataAsync(Location.Bucket, KeyOf(key), ct), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            return false;
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Describe(key), false);
        }
    }

    public async Task<byte[]?> TryReadAllAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            // A small object: read whole inside the attempt, so a body cut off midway is read again.
            return await _retry.ExecuteAsync(async ct =>
            {
                using var response = await _client.GetObjectAsync(Location.Bucket, KeyOf(key), ct).ConfigureAwait(false);
                using var ms = new MemoryStream();
                await response.ResponseStream.CopyToAsync(ms, ct).ConfigureAwait(false);
                return ms.ToArray();
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey" || (e.StatusCode == System.Net.HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket"))
        {
            return null;
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Describe(key), false);
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            // Retried until the answer starts; a body that breaks off later is the reader's failure.
            var response = await _retry.ExecuteAsync(ct => _client.GetObjectAsync(Location.Bucket, KeyOf(key), ct), cancellationToken).ConfigureAwait(false);
            return new ResponseOwningStream(response);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
        {
            throw new ClutterException(Errors.BackupObjectNotFound,
                $"The backup object '{Describe(key)}' does not exist. List the backups that do with Get-ClutterBackup.", Describe(key), e);
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Describe(key), false);
        }
    }

    public async IAsyncEnumerable<RepositoryEntry> ListAsync(string keyPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var basePrefix = Location.Prefix.Length == 0 ? "" : Location.Prefix + "/";
        var request = new ListObjectsV2Request { BucketName = Location.Bucket, Prefix = basePrefix + keyPrefix, MaxKeys = 1000 };
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await _retry.ExecuteAsync(ct => _client.ListObjectsV2Async(request, ct), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw S3Errors.Map(e, Location.ToString(), false);
            }
            foreach (var o in response.S3Objects ?? new List<S3Object>())
            {
                if (!o.Key.StartsWith(basePrefix, StringComparison.Ordinal)) continue;
                yield return new RepositoryEntry(o.Key.Substring(basePrefix.Length), o.Size ?? 0,
                    o.LastModified?.ToUniversalTime() ?? DateTime.MinValue);
            }
            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken)) yield break;
            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _retry.ExecuteAsync(ct => _client.DeleteObjectAsync(Location.Bucket, KeyOf(key), ct), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Describe(key), true);
        }
    }

    /// <summary>The multipart uploads under keyPrefix never completed nor aborted (with the size of their parts), and name claims left behind.</summary>
    public async IAsyncEnumerable<DebrisEntry> ListDebrisAsync(string keyPrefix, DateTime startedBeforeUtc, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var basePrefix = Location.Prefix.Length == 0 ? "" : Location.Prefix + "/";
        var request = new ListMultipartUploadsRequest { BucketName = Location.Bucket, Prefix = basePrefix + keyPrefix };
        while (true)
        {
            ListMultipartUploadsResponse response;
            try
            {
                response = await _client.ListMultipartUploadsAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw S3Errors.Map(e, Location.ToString(), false);
            }
            foreach (var u in response.MultipartUploads ?? new List<MultipartUpload>())
            {
                if (u.Key is null || !u.Key.StartsWith(basePrefix, StringComparison.Ordinal)) continue;
                var key = u.Key.Substring(basePrefix.Length);
                var initiated = u.Initiated?.ToUniversalTime() ?? DateTime.MinValue;
                if (initiated > startedBeforeUtc) continue; // young: may be a backup running now (and its parts need no listing)
                yield return new DebrisEntry(key, DebrisKind.MultipartUpload, initiated,
                    await PartsSizeAsync(u.Key, u.UploadId, cancellationToken).ConfigureAwait(false), Describe(key), u.UploadId);
            }
            if (response.IsTruncated != true || (string.IsNullOrEmpty(response.NextKeyMarker) && string.IsNullOrEmpty(response.NextUploadIdMarker))) break;
            request.KeyMarker = response.NextKeyMarker;
            request.UploadIdMarker = response.NextUploadIdMarker;
        }
        // The name claims of backups that were killed (a live backup's claim is younger than the cutoff).
        await foreach (var entry in ListAsync(keyPrefix, cancellationToken).ConfigureAwait(false))
            if (entry.Key.EndsWith(BackupName.ClaimSuffix, StringComparison.Ordinal) && entry.LastModifiedUtc <= startedBeforeUtc)
                yield return new DebrisEntry(entry.Key[..^BackupName.ClaimSuffix.Length], DebrisKind.Claim, entry.LastModifiedUtc, entry.Size, Describe(entry.Key), null);
    }

    /// <summary>The bytes an upload's parts hold; null when the server does not say.</summary>
    private async Task<long?> PartsSizeAsync(string fullKey, string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            long total = 0;
            var request = new ListPartsRequest { BucketName = Location.Bucket, Key = fullKey, UploadId = uploadId };
            while (true)
            {
                var response = await _client.ListPartsAsync(request, cancellationToken).ConfigureAwait(false);
                foreach (var p in response.Parts ?? new List<PartDetail>()) total += p.Size ?? 0;
                if (response.IsTruncated != true || response.NextPartNumberMarker is null) return total;
                request.PartNumberMarker = response.NextPartNumberMarker.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (AmazonS3Exception)
        {
            return null; // aborted meanwhile, or ListParts refused: the size is only informative
        }
    }

    public async Task RemoveDebrisAsync(DebrisEntry debris, CancellationToken cancellationToken)
    {
        if (debris.Kind == DebrisKind.Claim)
        {
            await DeleteAsync(debris.Key + BackupName.ClaimSuffix, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (debris.Kind != DebrisKind.MultipartUpload || debris.UploadId is null)
            throw new ArgumentException("A bucket holds only multipart uploads and claims.", nameof(debris));
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Location.Bucket, Key = KeyOf(debris.Key), UploadId = debris.UploadId }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchUpload")
        {
            // completed or aborted meanwhile: nothing left to remove
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, debris.Location, true);
        }
    }

    public Task<bool> CanClaimAsync(CancellationToken cancellationToken) =>
        ConditionalWrites.GetOrProbeAsync(_endpointAndBucket, () => ProbeConditionalWritesAsync(cancellationToken));

    /// <summary>Two conditional creates of one new key below the prefix, then the key removed (see ConditionalWrites).</summary>
    private async Task<bool> ProbeConditionalWritesAsync(CancellationToken cancellationToken)
    {
        var key = $".clutterdr-claim-probe-{Guid.NewGuid():N}";
        var first = await PutIfAbsentAsync(key, cancellationToken).ConfigureAwait(false);
        if (first == ConditionalWrites.Answer.Refused) return false;
        try
        {
            var second = await PutIfAbsentAsync(key, cancellationToken).ConfigureAwait(false);
            return ConditionalWrites.Honoured(first, second);
        }
        finally
        {
            try { await _client.DeleteObjectAsync(Location.Bucket, KeyOf(key), CancellationToken.None).ConfigureAwait(false); }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException) { /* an empty probe object is harmless */ }
        }
    }

    public async Task<bool> TryClaimAsync(string key, CancellationToken cancellationToken) =>
        await PutIfAbsentAsync(key, cancellationToken).ConfigureAwait(false) switch
        {
            ConditionalWrites.Answer.Created => true,
            ConditionalWrites.Answer.Taken => false,
            _ => throw new ClutterException(Errors.S3RequestFailed,
                $"The S3 endpoint refused a conditional write (If-None-Match) to '{Describe(key)}' that it accepted before. Run the backup again.", Describe(key)),
        };

    /// <summary>An empty object created with If-None-Match: *, and what the endpoint answered.</summary>
    private async Task<ConditionalWrites.Answer> PutIfAbsentAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            // A retry after a lost answer may find its own claim (412): that name is then skipped, which costs nothing.
            await _retry.ExecuteAsync(ct => _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = Location.Bucket,
                Key = KeyOf(key),
                InputStream = new MemoryStream(Array.Empty<byte>(), writable: false),
                IfNoneMatch = "*",
                UseChunkEncoding = false,
            }, ct), cancellationToken).ConfigureAwait(false);
            return ConditionalWrites.Answer.Created;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode != "NoSuchBucket" && ConditionalWrites.Classify(e.StatusCode, e.ErrorCode) is { } answer)
        {
            return answer;
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Describe(key), true);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Keeps the GetObject response alive as long as its body is read.</summary>
    private sealed class ResponseOwningStream : Stream
    {
        private readonly GetObjectResponse _response;
        private readonly Stream _inner;
        public ResponseOwningStream(GetObjectResponse response) { _response = response; _inner = response.ResponseStream; }
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
}
