using System.IO.Enumeration;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using ClutterDR.Catalog;
using ClutterDR.Repositories;

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
            throw new ClutterException("UnsafeObjectKey", FailureKind.InvalidData,
                $"The key '{key}' would be written outside '{Root}'. It was skipped; rename the object to sync it.", key);
        return full;
    }

    public override Task<List<SyncEntry>> ListAsync(bool isSource, CancellationToken cancellationToken)
    {
        if (File.Exists(Root))
            throw new ClutterException(isSource ? "SourceNotFound" : "DestinationNotFolder", FailureKind.InvalidArgument,
                $"'{Root}' is a file, not a folder. Give a folder path or s3://bucket/prefix.", Root);
        if (!Directory.Exists(Root))
        {
            if (isSource)
                throw new ClutterException("SourceNotFound", FailureKind.ObjectNotFound,
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
                throw new ClutterException("FolderAccessDenied", FailureKind.PermissionDenied,
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

internal sealed class S3SyncSide : SyncSide
{
    private readonly bool _ownsClient;

    public S3SyncSide(BackupLocation location, S3Options options, IAmazonS3 client, bool ownsClient) : base(location)
    {
        Options = options; Client = client; _ownsClient = ownsClient;
        BasePrefix = location.Prefix.Length == 0 ? "" : location.Prefix + "/";
    }

    public S3Options Options { get; }
    public IAmazonS3 Client { get; }
    public string Bucket => Location.Bucket;
    public string BasePrefix { get; }
    public string KeyOf(string key) => BasePrefix + key;

    public override async Task<List<SyncEntry>> ListAsync(bool isSource, CancellationToken cancellationToken)
    {
        var list = new List<SyncEntry>();
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = BasePrefix, MaxKeys = 1000 };
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await Client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw S3Errors.Map(e, Location.ToString(), !isSource);
            }
            foreach (var o in response.S3Objects ?? new List<S3Object>())
            {
                if (!o.Key.StartsWith(BasePrefix, StringComparison.Ordinal) || o.Key.Length == BasePrefix.Length) continue;
                list.Add(new SyncEntry(o.Key.Substring(BasePrefix.Length), o.Size ?? 0,
                    o.LastModified?.ToUniversalTime() ?? DateTime.MinValue, ModifiedIsWriteTime: true, Md5: SyncEntry.Md5FromETag(o.ETag)));
            }
            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken)) return list;
            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    public override async Task<SyncEntry> LoadDetailsAsync(SyncEntry entry, bool needMd5, CancellationToken cancellationToken)
    {
        var result = entry with { DetailsLoaded = true };
        if (entry.ModifiedIsWriteTime)
        {
            var head = await Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = KeyOf(entry.Key) }, cancellationToken).ConfigureAwait(false);
            if (SyncEntry.ParseMtime(head.Metadata[SyncEntry.MtimeMetadata]) is DateTime kept)
                result = result with { ModifiedUtc = kept, ModifiedIsWriteTime = false };
        }
        if (needMd5 && result.Md5 is null)
        {
            // A multipart ETag is no MD5 of the content: read the object once and hash it.
            using var response = await Client.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = KeyOf(entry.Key) }, cancellationToken).ConfigureAwait(false);
            result = result with { Md5 = await Md5Async(response.ResponseStream, cancellationToken).ConfigureAwait(false) };
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
