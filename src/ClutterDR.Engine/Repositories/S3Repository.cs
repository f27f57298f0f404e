using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ClutterDR.Catalog;

namespace ClutterDR.Repositories;

/// <summary>Backups in an S3-compatible bucket under a prefix.</summary>
public sealed class S3Repository : IBackupRepository
{
    private readonly IAmazonS3 _client;
    private readonly S3UploadOptions _uploadOptions;
    private readonly string _endpointAndBucket;

    public S3Repository(BackupLocation location, S3Options options, S3UploadOptions? uploadOptions = null)
    {
        Location = location;
        _client = S3ClientFactory.Create(options);
        _uploadOptions = uploadOptions ?? new S3UploadOptions();
        _endpointAndBucket = (options.EndpointUrl ?? "aws:" + (options.Region ?? _client.Config.RegionEndpoint?.SystemName)) + " " + location.Bucket;
    }

    public BackupLocation Location { get; }

    private string KeyOf(string key) => Location.FullKey(key);

    public async Task EnsureWritableAsync(CancellationToken cancellationToken) => await ProbeAsync(true, cancellationToken).ConfigureAwait(false);
    public async Task EnsureReadableAsync(CancellationToken cancellationToken) => await ProbeAsync(false, cancellationToken).ConfigureAwait(false);

    private async Task ProbeAsync(bool forWrite, CancellationToken cancellationToken)
    {
        try
        {
            await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Location.Bucket, Prefix = Location.Prefix, MaxKeys = 1 }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Location.ToString(), forWrite);
        }
    }

    public Task<IObjectWriter> CreateAsync(string key, string? storageClass, CancellationToken cancellationToken) =>
        Task.FromResult<IObjectWriter>(new S3UploadStream(_client, Location.Bucket, KeyOf(key), storageClass, _uploadOptions, Describe(key)));

    private string Describe(string key) => Location.Describe(key);

    public async Task PutAsync(string key, byte[] content, string contentType, string? storageClass, CancellationToken cancellationToken)
    {
        try
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
            await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
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
            await _client.GetObjectMetadataAsync(Location.Bucket, KeyOf(key), cancellationToken).ConfigureAwait(false);
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
            using var response = await _client.GetObjectAsync(Location.Bucket, KeyOf(key), cancellationToken).ConfigureAwait(false);
            using var ms = new MemoryStream();
            await response.ResponseStream.CopyToAsync(ms, cancellationToken).ConfigureAwait(false);
            return ms.ToArray();
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
            var response = await _client.GetObjectAsync(Location.Bucket, KeyOf(key), cancellationToken).ConfigureAwait(false);
            return new ResponseOwningStream(response);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
        {
            throw new ClutterException("BackupObjectNotFound", FailureKind.ObjectNotFound,
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
                response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
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
            await _client.DeleteObjectAsync(Location.Bucket, KeyOf(key), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Describe(key), true);
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
            _ => throw new ClutterException("S3RequestFailed", FailureKind.OperationFailed,
                $"The S3 endpoint refused a conditional write (If-None-Match) to '{Describe(key)}' that it accepted before. Run the backup again.", Describe(key)),
        };

    /// <summary>An empty object created with If-None-Match: *, and what the endpoint answered.</summary>
    private async Task<ConditionalWrites.Answer> PutIfAbsentAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = Location.Bucket,
                Key = KeyOf(key),
                InputStream = new MemoryStream(Array.Empty<byte>(), writable: false),
                IfNoneMatch = "*",
                UseChunkEncoding = false,
            }, cancellationToken).ConfigureAwait(false);
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
