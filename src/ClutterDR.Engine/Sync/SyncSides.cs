using System.IO.Enumeration;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using ClutterDR.Catalog;
using ClutterDR.Storage;

namespace ClutterDR.Sync;

/// <summary>One side of a sync: a folder or an S3 bucket prefix. Lists itself and loads details (metadata, hashes).</summary>
internal abstract class SyncSide : IDisposable
{
    protected SyncSide(BackupLocation location) => Location = location;

    public BackupLocation Location { get; }
    public bool IsFolder => !Location.IsS3;
    public string Describe(string key) => Location.Describe(key);

    /// <summary>The whole listing. A missing source is an error; a missing destination is empty.</summary>
    public abstract Task<List<SyncEntry>> ListAsync(bool isSource, CancellationToken cancellationToken);

    /// <summary>The entry with its kept modification time (S3 metadata) and, if asked, the content's MD5.</summary>
    public abstract Task<SyncEntry> LoadDetailsAsync(SyncEntry entry, bool needMd5, CancellationToken cancellationToken);

    public virtual void Dispose() { }

    protected static async Task<string> Md5Async(Stream stream, CancellationToken cancellationToken) =>
        Convert.ToHexString(await MD5.HashDataAsync(stream, cancellationToken).ConfigureAwait(false)).ToLowerInvariant();
}

internal sealed class FolderSyncSide : SyncSide
{
    /// <summary>Files being written by a sync are named so, next to their final name; listings ignore them.</summary>
    public const string TempPrefix = ".clutterdr-";
    public const string TempSuffix = ".tmp";

    public FolderSyncSide(BackupLocation location) : base(location)
    {
        Root = Path.TrimEndingDirectorySeparator(location.Path);
    }

    public string Root { get; }

    public static bool IsTempName(ReadOnlySpan<char> name) => name.StartsWith(TempPrefix, StringComparison.Ordinal) && name.EndsWith(TempSuffix, StringComparison.Ordinal);

    /// <summary>The file path of a key, proven to lie under the root (the planner already refused unsafe keys).</summary>
    public string PathOf(string key)
    {
        var full = Path.GetFullPath(Path.Combine(Root, key.Replace('/', Path.DirectorySeparatorChar)));
        var rootWithSep = Root.EndsWith(Path.DirectorySeparatorChar) ? Root : Root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSep, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            throw new ClutterException(Errors.UnsafeObjectKey,
                $"The key '{key}' would be written outside '{Root}'. It was skipped; rename the object to sync it.", key);
        return full;
    }

    public override Task<List<SyncEntry>> ListAsync(bool isSource, CancellationToken cancellationToken)
    {
        if (File.Exists(Root))
            throw new ClutterException(isSource ? Errors.SourceNotFound.As(FailureKind.InvalidArgument) : Errors.DestinationNotFolder,
                $"'{Root}' is a file, not a folder. Give a folder path or s3://bucket/prefix.", Root);
        if (!Directory.Exists(Root))
        {
            if (isSource)
                throw new ClutterException(Errors.SourceNotFound,
                    $"The source folder '{Root}' does not exist. Check the path (relative paths start at the current PowerShell location).", Root);
            return Task.FromResult(new List<SyncEntry>());
        }
        return Task.Run(() =>
        {
            var options = new EnumerationOptions
            {
                RecurseSubdirectories = true,
                AttributesToSkip = 0, // dot files are "hidden" on Unix; they are synced too
                IgnoreInaccessible = false,
                ReturnSpecialDirectories = false,
            };
            var rootLength = Root.Length + (Root.EndsWith(Path.DirectorySeparatorChar) ? 0 : 1);
            var enumerable = new FileSystemEnumerable<SyncEntry>(Root, (ref FileSystemEntry e) =>
            {
                var full = e.ToFullPath();
                var key = full.Substring(rootLength);
                if (Path.DirectorySeparatorChar != '/') key = key.Replace(Path.DirectorySeparatorChar, '/');
                return new SyncEntry(key, e.Length, e.LastWriteTimeUtc.UtcDateTime);
            }, options)
            {
                ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory && !IsTempName(e.FileName),
            };
            var list = new List<SyncEntry>();
            try
            {
                foreach (var entry in enumerable)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    list.Add(entry);
                }
            }
            catch (UnauthorizedAccessException e)
            {
                throw new ClutterException(Errors.FolderAccessDenied,
                    $"A folder under '{Root}' cannot be read: {e.Message} Grant read access or leave it out with -Exclude.", Root, e);
            }
            return list;
        }, cancellationToken);
    }

    public override async Task<SyncEntry> LoadDetailsAsync(SyncEntry entry, bool needMd5, CancellationToken cancellationToken)
    {
        if (!needMd5 || entry.Md5 is not null) return entry with { DetailsLoaded = true };
        await using var file = new FileStream(PathOf(entry.Key), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return entry with { Md5 = await Md5Async(file, cancellationToken).ConfigureAwait(false), DetailsLoaded = true };
    }
}

/// <summary>S3's key order: the keys' UTF-8 bytes compared one by one (UTF-16 ordinal order differs above U+D7FF).</summary>
internal sealed class Utf8Order : IComparer<string>
{
    public static readonly Utf8Order Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null) return x is null ? (y is null ? 0 : -1) : 1;
        var n = Math.Min(x.Length, y.Length);
        for (var i = 0; i < n; i++)
        {
            var a = x[i];
            var b = y[i];
            if (a == b) continue;
            // Surrogates (U+D800-DFFF) encode code points above U+FFFF, which sort after U+E000-FFFF in UTF-8.
            var sa = char.IsSurrogate(a);
            var sb = char.IsSurrogate(b);
            if (sa != sb && a >= 0xD800 && b >= 0xD800) return sa ? 1 : -1;
            return a.CompareTo(b);
        }
        return x.Length.CompareTo(y.Length);
    }
}

internal sealed class S3SyncSide : SyncSide
{
    private readonly bool _ownsClient;

    public S3SyncSide(BackupLocation location, S3Options options, IAmazonS3 client, bool ownsClient) : base(location)
    {
        Options = options; Client = client; _ownsClient = ownsClient;
        BasePrefix = location.Prefix.Length == 0 ? "" : location.Prefix + "/";
        Retry = RetryPolicy.For(options);
    }

    public S3Options Options { get; }
    /// <summary>How every request to this side is retried.</summary>
    public RetryPolicy Retry { get; }
    public IAmazonS3 Client { get; }
    public string Bucket => Location.Bucket;
    public string BasePrefix { get; }
    public string KeyOf(string key) => BasePrefix + key;

    /// <summary>Listings running at once when the key ranges to list are known (see ListAsync).</summary>
    public int ListParallelism { get; init; } = 8;

    public override Task<List<SyncEntry>> ListAsync(bool isSource, CancellationToken cancellationToken) =>
        ListAsync(isSource, null, cancellationToken);

    /// <summary>
    /// The whole listing. A paged listing is one request after another; when the keys to expect are
    /// known (the other side's listing), the key space is cut at their quantiles and the ranges are
    /// listed side by side (StartAfter), each stopping at its upper bound. Keys the hints did not
    /// foresee still land in some range, so the result is the same set of keys either way.
    /// </summary>
    public async Task<List<SyncEntry>> ListAsync(bool isSource, IReadOnlyCollection<string>? keyHints, CancellationToken cancellationToken)
    {
        var parts = keyHints is null ? 1 : Math.Min(ListParallelism, keyHints.Count / 500);
        if (parts < 2)
            return await ListRangeAsync(null, null, 1000, isSource, cancellationToken).ConfigureAwait(false);
        var sorted = keyHints!.ToArray();
        Array.Sort(sorted, Utf8Order.Instance);
        var bounds = new string?[parts + 1];
        for (var i = 1; i < parts; i++) bounds[i] = sorted[(long)sorted.Length * i / parts];
        var expected = sorted.Length / parts;
        var results = new List<SyncEntry>[parts];
        await Parallel.ForEachAsync(Enumerable.Range(0, parts),
            new ParallelOptions { MaxDegreeOfParallelism = parts, CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await ListRangeAsync(bounds[i], bounds[i + 1], expected, isSource, ct).ConfigureAwait(false)).ConfigureAwait(false);
        var all = new List<SyncEntry>(results.Sum(r => r.Count));
        foreach (var r in results) all.AddRange(r);
        return all;
    }

    /// <summary>Keys k with after &lt; k &lt;= upTo (relative keys; null: unbounded), in pages.</summary>
    private async Task<List<SyncEntry>> ListRangeAsync(string? after, string? upTo, int expected, bool isSource, CancellationToken cancellationToken)
    {
        var entries = new List<SyncEntry>();
        var request = new ListObjectsV2Request
        {
            BucketName = Bucket, Prefix = BasePrefix, StartAfter = after is null ? null : BasePrefix + after,
            // A bounded range asks for about what it expects, so it does not read far into the next range.
            MaxKeys = upTo is null ? 1000 : Math.Clamp(expected + expected / 8 + 16, 16, 1000),
        };
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await Retry.ExecuteAsync(ct => Client.ListObjectsV2Async(request, ct), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw S3Errors.Map(e, Location.ToString(), !isSource);
            }
            foreach (var o in response.S3Objects ?? new List<S3Object>())
            {
                if (!o.Key.StartsWith(BasePrefix, StringComparison.Ordinal) || o.Key.Length == BasePrefix.Length) continue;
                var key = o.Key.Substring(BasePrefix.Length);
                if (upTo is not null && Utf8Order.Instance.Compare(key, upTo) > 0) return entries;
                entries.Add(new SyncEntry(key, o.Size ?? 0, o.LastModified?.ToUniversalTime() ?? DateTime.MinValue,
                    ModifiedIsWriteTime: true, Md5: SyncEntry.Md5FromETag(o.ETag)));
            }
            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken)) return entries;
            request.ContinuationToken = response.NextContinuationToken;
            request.MaxKeys = 1000;
        }
    }

    public override async Task<SyncEntry> LoadDetailsAsync(SyncEntry entry, bool needMd5, CancellationToken cancellationToken)
    {
        var result = entry with { DetailsLoaded = true };
        if (entry.ModifiedIsWriteTime)
        {
            var head = await Retry.ExecuteAsync(ct => Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = KeyOf(entry.Key) }, ct), cancellationToken).ConfigureAwait(false);
            if (SyncEntry.ParseMtime(head.Metadata[SyncEntry.MtimeMetadata]) is DateTime kept)
                result = result with { ModifiedUtc = kept, ModifiedIsWriteTime = false };
        }
        if (needMd5 && result.Md5 is null)
        {
            // A multipart ETag is no MD5 of the content: read the object once and hash it.
            // Read whole inside the attempt: a body cut off midway is read again.
            var md5 = await Retry.ExecuteAsync(async ct =>
            {
                using var response = await Client.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = KeyOf(entry.Key) }, ct).ConfigureAwait(false);
                return await Md5Async(response.ResponseStream, ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            result = result with { Md5 = md5 };
        }
        return result;
    }

    /// <summary>The kept modification time of a fetched object: its "mtime" metadata, else its LastModified.</summary>
    public static DateTime SourceTimeOf(GetObjectResponse response) =>
        SyncEntry.ParseMtime(response.Metadata[SyncEntry.MtimeMetadata]) ?? response.LastModified?.ToUniversalTime() ?? DateTime.UtcNow;

    public override void Dispose()
    {
        if (_ownsClient) Client.Dispose();
    }
}
