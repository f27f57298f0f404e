using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;

namespace ClutterDR.Storage;

/// <summary>The listings of an S3 store: ranged and one-level object listings, buckets, and multipart uploads never finished.</summary>
public sealed partial class S3ObjectStore
{
    public async IAsyncEnumerable<ObjectEntry> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken, string? after = null, string? upTo = null, int? pageHint = null)
    {
        var request = new ListObjectsV2Request
        {
            BucketName = Bucket, Prefix = _basePrefix + prefix, StartAfter = after is null ? null : _basePrefix + after,
            // A bounded range asks for about what it expects, so it does not read far into the next range.
            MaxKeys = pageHint is int expected ? Math.Clamp(expected + expected / 8 + 16, 16, 1000) : 1000,
        };
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await Retry.ExecuteAsync(ct => _client.ListObjectsV2Async(request, ct), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw S3Errors.Map(e, Location.ToString(), ListsForWrite);
            }
            foreach (var o in response.S3Objects ?? new List<S3Object>())
            {
                if (!o.Key.StartsWith(_basePrefix, StringComparison.Ordinal) || o.Key.Length == _basePrefix.Length) continue;
                var key = o.Key.Substring(_basePrefix.Length);
                if (upTo is not null && Utf8Order.Instance.Compare(key, upTo) > 0) yield break;
                yield return new ObjectEntry(key, o.Size ?? 0, o.LastModified?.ToUniversalTime() ?? DateTime.MinValue, o.ETag);
            }
            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken)) yield break;
            request.ContinuationToken = response.NextContinuationToken;
            request.MaxKeys = 1000;
        }
    }

    /// <summary>Whether a failed listing is reported as a destination's (DestinationNotFound) rather than a location's.</summary>
    public bool ListsForWrite { get; set; }

    /// <summary>One page (up to 1,000 entries) of the delimiter listing below prefix; keys and prefixes relative to the location.</summary>
    public async Task<ObjectLevel> ListLevelAsync(string prefix, CancellationToken cancellationToken)
    {
        try
        {
            var full = _basePrefix + prefix;
            var response = await Retry.ExecuteAsync(ct => _client.ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = Bucket, Prefix = full, Delimiter = "/", MaxKeys = 1000,
            }, ct), cancellationToken).ConfigureAwait(false);
            var prefixes = (response.CommonPrefixes ?? new List<string>()).Select(Relative).ToList();
            var keys = (response.S3Objects ?? new List<S3Object>()).Select(o => Relative(o.Key)).ToList();
            if (prefixes.Count > 0 || keys.Count > 0) return new ObjectLevel(prefixes, keys);

            // Some S3-compatible servers (s3rver among them) leave out common prefixes that lie more than one
            // level deep. An empty answer costs one more request: the first 1,000 keys, grouped here.
            var flat = await Retry.ExecuteAsync(ct => _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = full, MaxKeys = 1000 }, ct),
                cancellationToken).ConfigureAwait(false);
            var grouped = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var o in flat.S3Objects ?? new List<S3Object>())
            {
                var key = Relative(o.Key);
                var slash = key.IndexOf('/', prefix.Length);
                if (slash < 0) keys.Add(key); else grouped.Add(key.Substring(0, slash + 1));
            }
            return new ObjectLevel(grouped.ToList(), keys);
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, Location.ToString(), false);
        }
    }

    private string Relative(string fullKey) => fullKey.StartsWith(_basePrefix, StringComparison.Ordinal) ? fullKey[_basePrefix.Length..] : fullKey;

    /// <summary>The buckets the credentials see, by name (one request: tab completion).</summary>
    public static async Task<IReadOnlyList<string>> ListBucketsAsync(S3Options options, TimeSpan requestTimeout, CancellationToken cancellationToken)
    {
        using var client = S3ClientFactory.Create(options, requestTimeout);
        var response = await client.ListBucketsAsync(new ListBucketsRequest(), cancellationToken).ConfigureAwait(false);
        return (response.Buckets ?? new List<S3Bucket>()).Select(b => b.BucketName).OrderBy(n => n, StringComparer.Ordinal).ToList();
    }

    /// <summary>The multipart uploads under prefix never completed nor aborted, with the size of their parts.</summary>
    public async IAsyncEnumerable<IncompleteWrite> ListIncompleteWritesAsync(string prefix, DateTime startedBeforeUtc, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = _basePrefix + prefix };
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
                if (u.Key is null || !u.Key.StartsWith(_basePrefix, StringComparison.Ordinal)) continue;
                var key = u.Key.Substring(_basePrefix.Length);
                var initiated = u.Initiated?.ToUniversalTime() ?? DateTime.MinValue;
                if (initiated > startedBeforeUtc) continue; // young: may be a backup running now (and its parts need no listing)
                yield return new IncompleteWrite(key, initiated, await PartsSizeAsync(u.Key, u.UploadId, cancellationToken).ConfigureAwait(false), Describe(key), u.UploadId);
            }
            if (response.IsTruncated != true || (string.IsNullOrEmpty(response.NextKeyMarker) && string.IsNullOrEmpty(response.NextUploadIdMarker))) yield break;
            request.KeyMarker = response.NextKeyMarker;
            request.UploadIdMarker = response.NextUploadIdMarker;
        }
    }

    /// <summary>The bytes an upload's parts hold; null when the server does not say.</summary>
    private async Task<long?> PartsSizeAsync(string fullKey, string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            long total = 0;
            var request = new ListPartsRequest { BucketName = Bucket, Key = fullKey, UploadId = uploadId };
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

    public async Task AbortIncompleteWriteAsync(IncompleteWrite write, CancellationToken cancellationToken)
    {
        if (write.UploadId is null) throw new ArgumentException("A bucket's incomplete writes are multipart uploads.", nameof(write));
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = KeyOf(write.Key), UploadId = write.UploadId }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchUpload")
        {
            // completed or aborted meanwhile: nothing left to remove
        }
        catch (Exception e)
        {
            throw S3Errors.Map(e, write.Location, true);
        }
    }
}
