using Amazon.S3;
using Amazon.S3.Model;

namespace ClutterDR.Storage;

/// <summary>
/// The part scheduling of an S3 upload: parts started as their buffers fill (at most PartsInFlight at once),
/// Object Lock retention made sure of after the complete, and a complete that failed after the server may
/// have applied it settled by what is under the key. The stream surface is S3UploadStream.cs.
/// </summary>
internal sealed partial class S3UploadStream
{
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
}
