using System.Security.Cryptography;
using ClutterDR.Catalog;
using ClutterDR.Storage;

namespace ClutterDR.Sync;

/// <summary>One side of a sync over its <see cref="IObjectStore"/>: lists itself (ranges side by side where it pays) and loads details (kept times, hashes).</summary>
internal sealed class SyncSide : IDisposable
{
    public SyncSide(IObjectStore store, bool isSource)
    {
        Store = store;
        IsSource = isSource;
        if (store is S3ObjectStore s3) s3.ListsForWrite = !isSource;
    }

    public IObjectStore Store { get; }
    public bool IsSource { get; }
    public BackupLocation Location => Store.Location;
    public bool IsFolder => !Location.IsS3;
    /// <summary>Whether the side keeps a source's modification time in metadata (S3): its listing's time is then the write time.</summary>
    public bool KeepsTimeInMetadata => Store.Features.HasFlag(StoreFeatures.Metadata);
    public string Describe(string key) => Store.Describe(key);

    /// <summary>Listings running at once when the key ranges to list are known (see ListAsync).</summary>
    public int ListParallelism { get; init; } = 8;

    /// <summary>
    /// The whole listing; a missing source is an error, a missing destination is empty. A bucket's paged
    /// listing is one request after another; when the keys to expect are known (the other side's listing),
    /// the key space is cut at their quantiles and the ranges are listed side by side, each stopping at its
    /// upper bound. Keys the hints did not foresee still land in some range: the same set of keys either way.
    /// </summary>
    public async Task<List<SyncEntry>> ListAsync(IReadOnlyCollection<string>? keyHints, CancellationToken cancellationToken)
    {
        if (Store is FolderObjectStore folder)
        {
            if (folder.RootIsFile)
                throw new ClutterException(IsSource ? Errors.SourceNotFound.As(FailureKind.InvalidArgument) : Errors.DestinationNotFolder,
                    $"'{folder.Root}' is a file, not a folder. Give a folder path or s3://bucket/prefix.", folder.Root);
            if (!folder.RootExists)
            {
                if (IsSource)
                    throw new ClutterException(Errors.SourceNotFound,
                        $"The source folder '{folder.Root}' does not exist. Check the path (relative paths start at the current PowerShell location).", folder.Root);
                return new List<SyncEntry>();
            }
            return await Task.Run(() => ListRangeAsync(null, null, null, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        var parts = keyHints is null ? 1 : Math.Min(ListParallelism, keyHints.Count / 500);
        if (parts < 2)
            return await ListRangeAsync(null, null, null, cancellationToken).ConfigureAwait(false);
        var sorted = keyHints!.ToArray();
        Array.Sort(sorted, Utf8Order.Instance);
        var bounds = new string?[parts + 1];
        for (var i = 1; i < parts; i++) bounds[i] = sorted[(long)sorted.Length * i / parts];
        var expected = sorted.Length / parts;
        var results = new List<SyncEntry>[parts];
        await Parallel.ForEachAsync(Enumerable.Range(0, parts),
            new ParallelOptions { MaxDegreeOfParallelism = parts, CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await ListRangeAsync(bounds[i], bounds[i + 1], bounds[i + 1] is null ? null : expected, ct).ConfigureAwait(false)).ConfigureAwait(false);
        var all = new List<SyncEntry>(results.Sum(r => r.Count));
        foreach (var r in results) all.AddRange(r);
        return all;
    }

    /// <summary>Keys k with after &lt; k &lt;= upTo (null: unbounded).</summary>
    private async Task<List<SyncEntry>> ListRangeAsync(string? after, string? upTo, int? expected, CancellationToken cancellationToken)
    {
        var entries = new List<SyncEntry>();
        var metadata = KeepsTimeInMetadata;
        await foreach (var o in Store.ListAsync("", cancellationToken, after, upTo, expected).ConfigureAwait(false))
            entries.Add(metadata
                ? new SyncEntry(o.Key, o.Size, o.LastModifiedUtc, ModifiedIsWriteTime: true, Md5: SyncEntry.Md5FromETag(o.ETag))
                : new SyncEntry(o.Key, o.Size, o.LastModifiedUtc));
        return entries;
    }

    /// <summary>The entry with its kept modification time (S3 metadata) and, if asked, the content's MD5.</summary>
    public async Task<SyncEntry> LoadDetailsAsync(SyncEntry entry, bool needMd5, CancellationToken cancellationToken)
    {
        var result = entry with { DetailsLoaded = true };
        if (entry.ModifiedIsWriteTime
            && await Store.StatAsync(entry.Key, cancellationToken).ConfigureAwait(false) is { } stat
            && SyncEntry.ParseMtime(stat.Metadata.GetValueOrDefault(SyncEntry.MtimeMetadata)) is DateTime kept)
            result = result with { ModifiedUtc = kept, ModifiedIsWriteTime = false };
        if (needMd5 && result.Md5 is null)
        {
            // A multipart ETag is no MD5 of the content: read the object once and hash it.
            // Read whole inside the attempt: a body cut off midway is read again.
            var md5 = await Store.Retry.ExecuteAsync(async ct =>
            {
                await using var body = await Store.OpenReadAsync(entry.Key, ct).ConfigureAwait(false);
                return Convert.ToHexString(await MD5.HashDataAsync(body, ct).ConfigureAwait(false)).ToLowerInvariant();
            }, cancellationToken).ConfigureAwait(false);
            result = result with { Md5 = md5 };
        }
        return result;
    }

    /// <summary>The source's modification time of a fetched object: its "mtime" metadata, else its write time, else the listing's.</summary>
    public static DateTime ModifiedOf(ObjectStat stat, SyncEntry listed) =>
        SyncEntry.ParseMtime(stat.Metadata.GetValueOrDefault(SyncEntry.MtimeMetadata))
        ?? (stat.LastModifiedUtc == DateTime.MinValue ? listed.ModifiedUtc : stat.LastModifiedUtc);

    public void Dispose() => Store.Dispose();
}
