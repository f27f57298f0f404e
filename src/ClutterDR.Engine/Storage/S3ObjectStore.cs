using Amazon.S3;
using Amazon.S3.Model;
using ClutterDR.Catalog;

namespace ClutterDR.Storage;

/// <summary>
/// Objects in an S3-compatible bucket under a prefix: every request through <see cref="Retry"/>, every SDK
/// failure through S3Errors.Map. Reads, writes, copies and deletes here; listings and incomplete writes
/// (multipart uploads) in S3ObjectStore.Listing.cs; streamed writes are <see cref="S3UploadStream"/>.
/// </summary>
public sealed partial class S3ObjectStore : IObjectStore
{
    private readonly IAmazonS3 _client;
    private readonly bool _ownsClient;
    private readonly S3UploadOptions _upload;
    private readonly string _endpointAndBucket;
    private readonly string _basePrefix;

    /// <param name="upload">Part sizes and parts in flight of streamed writes.</param>
    /// <param name="requestTimeout">Each request's timeout (tab completion: a short one).</param>
    /// <param name="maxConnections">Connections the client may open to the server (parallel transfers).</param>
    public S3ObjectStore(BackupLocation location, S3Options options, S3UploadOptions? upload = null, TimeSpan? requestTimeout = null, int? maxConnections = null)
        : this(location, options, S3ClientFactory.Create(options, requestTimeout, maxConnections), ownsClient: true, upload)
    {
    }

    private S3ObjectStore(BackupLocation location, S3Options options, IAmazonS3 client, bool ownsClient, S3UploadOptions? upload)
    {
        Location = location;
        Options = options;
        _client = client;
        _ownsClient = ownsClient;
        _upload = upload ?? new S3UploadOptions();
        Retry = StorageRetry.For(options);
        _basePrefix = location.Prefix.Length == 0 ? "" : location.Prefix + "/";
        _endpointAndBucket = (options.EndpointUrl ?? "aws:" + (options.Region ?? client.Config.RegionEndpoint?.SystemName)) + " " + location.Bucket;
    }

    /// <summary>A store of another location through this one's client (a copy between them is server-side); it leaves the client open.</summary>
    public S3ObjectStore At(BackupLocation location, S3UploadOptions? upload = null) => new(location, Options, _client, ownsClient: false, upload ?? _upload);

    public BackupLocation Location { get; }
    public S3Options Options { get; }
    public StoreFeatures Features => StoreFeatures.ServerSideCopy | StoreFeatures.ObjectLock | StoreFeatures.Metadata;
    public RetryPolicy Retry { get; }
    private string Bucket => Location.Bucket;

    private string KeyOf(string key) => _basePrefix + key;
    public string Describe(string key) => Location.Describe(key);

    /// <summary>Fails with a clear error when the bucket cannot be listed (missing, access denied, unreachable).</summary>
    public async Task ProbeAsync(bool forWrite, CancellationToken cancellationToken)
    {
        try
        {
            await Retry.ExecuteAsync(ct => _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = Location.Prefix, MaxKeys = 1 }, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Location.ToString(), forWrite);
        }
    }

    /// <summary>Whether the bucket has Object Lock enabled (else every locked PUT would be refused).</summary>
    public async Task<bool> ObjectLockEnabledAsync(CancellationToken cancellationToken)
    {
        try
        {
            var config = await Retry.ExecuteAsync(ct => _client.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = Bucket }, ct), cancellationToken).ConfigureAwait(false);
            return config.ObjectLockConfiguration?.ObjectLockEnabled == ObjectLockEnabled.Enabled;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "ObjectLockConfigurationNotFoundError" or "ObjectLockConfigurationNotFound"
                                          || (e.StatusCode == System.Net.HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket"))
        {
            return false;
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Location.ToString(), true);
        }
    }

    public async Task<ObjectStat?> StatAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await Retry.ExecuteAsync(ct => _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = KeyOf(key) }, ct), cancellationToken).ConfigureAwait(false);
            return new ObjectStat(head.ContentLength, head.LastModified?.ToUniversalTime() ?? DateTime.MinValue, head.ETag, Md5FromETag(head.ETag),
                MetadataOf(head.Metadata), head.Headers.ContentType, head.StorageClass?.Value);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Describe(key), false);
        }
    }

    /// <summary>The MD5 in an S3 ETag, or null when the ETag is not one (multipart "-N", SSE-KMS...).</summary>
    public static string? Md5FromETag(string? etag)
    {
        if (string.IsNullOrEmpty(etag)) return null;
        var t = etag.Trim('"').ToLowerInvariant();
        if (t.Length != 32) return null;
        foreach (var c in t)
            if (!(c is >= '0' and <= '9' or >= 'a' and <= 'f')) return null;
        return t;
    }

    private static Dictionary<string, string> MetadataOf(MetadataCollection metadata)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var k in metadata.Keys)
            result[k.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase) ? k[11..] : k] = metadata[k];
        return result;
    }

    public async Task<ObjectReadStream> OpenReadAsync(string key, CancellationToken cancellationToken, long offset = 0, long? length = null)
    {
        try
        {
            var request = new GetObjectRequest { BucketName = Bucket, Key = KeyOf(key) };
            if (offset > 0 || length is not null) request.ByteRange = new ByteRange(offset, length is long n ? offset + n - 1 : long.MaxValue);
            // Retried until the answer starts; a body that breaks off later is the reader's failure.
            var response = await Retry.ExecuteAsync(ct => _client.GetObjectAsync(request, ct), cancellationToken).ConfigureAwait(false);
            var stat = new ObjectStat(response.ContentLength, response.LastModified?.ToUniversalTime() ?? DateTime.MinValue, response.ETag, Md5FromETag(response.ETag),
                MetadataOf(response.Metadata), response.Headers.ContentType, response.StorageClass?.Value);
            return new S3ReadStream(response, stat);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
        {
            throw new ObjectNotFoundException(Describe(key), e);
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Describe(key), false);
        }
    }

    public Task<IObjectWriter> CreateWriteAsync(string key, WriteOptions options, CancellationToken cancellationToken) =>
        Task.FromResult<IObjectWriter>(new S3UploadStream(_client, Bucket, KeyOf(key), options.StorageClass,
            _upload with { ExpectedSize = options.ExpectedSize ?? _upload.ExpectedSize, ObjectLock = options.ObjectLock },
            Describe(key), options.Metadata, options.ContentType, Retry));

    public async Task<bool> PutAsync(string key, Stream content, WriteOptions options, CancellationToken cancellationToken) =>
        await PutCoreAsync(key, content, options, cancellationToken).ConfigureAwait(false) switch
        {
            ConditionalWrites.Answer.Created => true,
            ConditionalWrites.Answer.Taken => false,
            _ => throw new ClutterException(Errors.S3RequestFailed,
                $"The S3 endpoint refused a conditional write (If-None-Match) to '{Describe(key)}' that it accepted before. Run the backup again.", Describe(key)),
        };

    /// <summary>One PutObject; with CreateOnly, what the endpoint answered to If-None-Match: * (see ConditionalWrites).</summary>
    private async Task<ConditionalWrites.Answer> PutCoreAsync(string key, Stream content, WriteOptions options, CancellationToken cancellationToken)
    {
        var start = content.Position;
        try
        {
            // A retry after a lost answer may find its own create (412): that name is then skipped, which costs nothing.
            await Retry.ExecuteAsync(ct =>
            {
                content.Position = start; // each attempt sends the whole body
                var put = new PutObjectRequest
                {
                    BucketName = Bucket, Key = KeyOf(key), InputStream = content, AutoCloseStream = false,
                    ContentType = options.ContentType, UseChunkEncoding = false,
                };
                if (options.CreateOnly) put.IfNoneMatch = "*";
                S3UploadStream.AddMetadata(put.Metadata, options.Metadata);
                if (!string.IsNullOrEmpty(options.StorageClass)) put.StorageClass = S3StorageClass.FindValue(options.StorageClass);
                S3UploadStream.ApplyLock(put, options.ObjectLock, content, start);
                return _client.PutObjectAsync(put, ct);
            }, cancellationToken).ConfigureAwait(false);
            return ConditionalWrites.Answer.Created;
        }
        catch (AmazonS3Exception e) when (options.CreateOnly && e.ErrorCode != "NoSuchBucket" && ConditionalWrites.Classify(e.StatusCode, e.ErrorCode) is { } answer)
        {
            return answer;
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Describe(key), true, options.StorageClass);
        }
    }

    public bool CanCopyFrom(IObjectStore source) => source is S3ObjectStore s && ReferenceEquals(s._client, _client);

    public async Task CopyAsync(IObjectStore source, string sourceKey, string key, WriteOptions options, CancellationToken cancellationToken)
    {
        var from = (S3ObjectStore)source;
        var copy = new CopyObjectRequest
        {
            SourceBucket = from.Bucket, SourceKey = from.KeyOf(sourceKey),
            DestinationBucket = Bucket, DestinationKey = KeyOf(key),
            MetadataDirective = S3MetadataDirective.COPY,
        };
        if (options.StorageClass is { Length: > 0 } storageClass) copy.StorageClass = S3StorageClass.FindValue(storageClass);
        try
        {
            await Retry.ExecuteAsync(c => _client.CopyObjectAsync(copy, c), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "NoSuchBucket" or "NotImplemented" or "XNotImplemented" or "InvalidRequest" && !S3Errors.IsStorageClassRefusal(e, copy.StorageClass?.Value))
        {
            // Both buckets were just listed, so the endpoint does not understand the copy request
            // (s3rver misreads the SDK's encoded x-amz-copy-source).
            throw new CopyRefusedException($"{e.ErrorCode}: {e.Message}", e);
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Describe(key), true, copy.StorageClass?.Value);
        }
    }

    public Task<bool> SupportsCreateOnlyAsync(CancellationToken cancellationToken) =>
        ConditionalWrites.GetOrProbeAsync(_endpointAndBucket, () => ProbeConditionalWritesAsync(cancellationToken));

    /// <summary>Two conditional creates of one new key below the prefix, then the key removed (see ConditionalWrites).</summary>
    private async Task<bool> ProbeConditionalWritesAsync(CancellationToken cancellationToken)
    {
        var key = $".clutterdr-claim-probe-{Guid.NewGuid():N}";
        var first = await ProbePutAsync(key, cancellationToken).ConfigureAwait(false);
        if (first == ConditionalWrites.Answer.Refused) return false;
        try
        {
            var second = await ProbePutAsync(key, cancellationToken).ConfigureAwait(false);
            return ConditionalWrites.Honoured(first, second);
        }
        finally
        {
            try { await _client.DeleteObjectAsync(Bucket, KeyOf(key), CancellationToken.None).ConfigureAwait(false); }
            catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or HttpRequestException or IOException) { /* an empty probe object is harmless */ }
        }
    }

    private Task<ConditionalWrites.Answer> ProbePutAsync(string key, CancellationToken cancellationToken) =>
        PutCoreAsync(key, new MemoryStream(Array.Empty<byte>(), writable: false), new WriteOptions { CreateOnly = true }, cancellationToken);

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await Retry.ExecuteAsync(ct => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = KeyOf(key) }, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Describe(key), true);
        }
    }

    /// <summary>DeleteObjects, 1,000 keys a request; a key the server could not delete is an S3RequestFailed error.</summary>
    public async Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        foreach (var chunk in keys.Chunk(1000))
        {
            DeleteObjectsResponse response;
            try
            {
                response = await Retry.ExecuteAsync(ct => _client.DeleteObjectsAsync(new DeleteObjectsRequest
                {
                    BucketName = Bucket, Objects = chunk.Select(k => new KeyVersion { Key = KeyOf(k) }).ToList(), Quiet = true,
                }, ct), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw S3Errors.Map(e, Location.ToString(), true);
            }
            if (response.DeleteErrors is { Count: > 0 } errors)
                throw new ClutterException(Errors.S3RequestFailed,
                    $"An S3 request for '{Location.Describe(errors[0].Key[_basePrefix.Length..])}' failed: {errors[0].Code}: {errors[0].Message}", Location.ToString());
        }
    }

    public void Dispose()
    {
        if (_ownsClient) _client.Dispose();
    }
}
