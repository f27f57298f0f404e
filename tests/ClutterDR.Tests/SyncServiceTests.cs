using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using ClutterDR.Catalog;
using ClutterDR.Storage;
using ClutterDR.Sync;

namespace ClutterDR.Tests;

/// <summary>The sync executor against the real S3 test server and real folders.</summary>
public class SyncServiceTests
{
    /// <summary>The host of a sync: answers the confirmation, collects items and problems, passes the rest to its Sink.</summary>
    private sealed class Collector : IEngineHost
    {
        public bool Approve { get; init; } = true;
        public ConcurrentBag<SyncItem> Items { get; } = new();
        public ConcurrentBag<ClutterException> Errors { get; } = new();
        public Consent Declined { get; init; } = Consent.Decline;
        public Sink Sink { get; set; } = new();
        public ValueTask<IReadOnlyList<Consent>> ConfirmAsync(IReadOnlyList<PlannedChange> changes) =>
            ValueTask.FromResult<IReadOnlyList<Consent>>(changes.Select(_ => Approve ? Consent.Run : Declined).ToList());
        public ValueTask ItemAsync(object item) { Items.Add((SyncItem)item); return ValueTask.CompletedTask; }
        public ValueTask ProblemAsync(ClutterException problem) { Errors.Add(problem); return ValueTask.CompletedTask; }
        public void Progress(ProgressUpdate update) => Sink.Progress(update);
        public void Verbose(string message) => Sink.Verbose(message);
        public void Warning(string message) => Sink.Warning(message);
    }

    private sealed class Sink : ITestHost
    {
        public ConcurrentBag<ProgressUpdate> Updates { get; } = new();
        public ConcurrentBag<string> Warnings { get; } = new();
        public void Progress(ProgressUpdate update) => Updates.Add(update);
        public void Verbose(string message) { }
        public void Warning(string message) => Warnings.Add(message);
    }

    private static string NewFolder()
    {
        var p = Path.Combine(Path.GetTempPath(), "clutterdr-xt-sync-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(p);
        return p;
    }

    /// <summary>Nested folders, non-ASCII names, spaces, a zero-byte file and a 20 MiB file (multipart).</summary>
    private static Dictionary<string, byte[]> MakeTree(string root)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["readme.txt"] = "hello"u8.ToArray(),
            ["empty.bin"] = Array.Empty<byte>(),
            ["photos/2026/ñandú en el parque.jpg"] = RandomNumberGenerator.GetBytes(70_000),
            ["photos/日本/写真 1.png"] = RandomNumberGenerator.GetBytes(1234),
            ["deep/a/b/c/d/file with spaces.dat"] = RandomNumberGenerator.GetBytes(5000),
            ["big/video.mp4"] = RandomNumberGenerator.GetBytes(20 << 20),
        };
        foreach (var (key, data) in files)
        {
            var path = Path.Combine(root, key.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, data);
            File.SetLastWriteTimeUtc(path, new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(key.Length * 1234567L));
        }
        return files;
    }

    private static SyncRequest Request(string source, string destination, SyncPlanOptions? plan = null) => new()
    {
        Source = BackupLocation.Parse(source),
        Destination = BackupLocation.Parse(destination),
        SourceS3 = TestServers.S3Options,
        DestinationS3 = TestServers.S3Options,
        Plan = plan ?? new SyncPlanOptions(),
        ThrottleLimit = 4,
    };

    private static async Task<SyncSummary> Run(SyncRequest request, Collector? collector = null, Sink? sink = null)
    {
        var host = collector ?? new Collector();
        if (sink is not null) host.Sink = sink;
        return await new SyncService(host).RunAsync(request, CancellationToken.None);
    }

    private static async Task<byte[]> ReadObject(IAmazonS3 client, string bucket, string key)
    {
        using var r = await client.GetObjectAsync(bucket, key);
        var ms = new MemoryStream();
        await r.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }

    [Fact]
    public async Task FolderToS3ToBucketToFolderKeepsEveryByteAndTime()
    {
        var src = NewFolder();
        var files = MakeTree(src);
        var b1 = await TestServers.NewBucketAsync();
        var b2 = await TestServers.NewBucketAsync();
        var back = Path.Combine(NewFolder(), "restored");
        using var client = S3ClientFactory.Create(TestServers.S3Options);

        var sink = new Sink();
        var first = await Run(Request(src, $"s3://{b1}/media/2026"), sink: sink);
        Assert.Equal((files.Count, 0, 0, 0), (first.Copied, first.Updated, first.Failed, first.Skipped));
        Assert.Equal(files.Values.Sum(v => (long)v.Length), first.Bytes);
        Assert.Contains(sink.Updates, u => u.Completed);
        foreach (var (key, data) in files)
            Assert.Equal(data, await ReadObject(client, b1, "media/2026/" + key));
        var head = await client.GetObjectMetadataAsync(b1, "media/2026/photos/2026/ñandú en el parque.jpg");
        Assert.Equal("image/jpeg", head.Headers.ContentType);
        Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(src, "photos", "2026", "ñandú en el parque.jpg")), SyncEntry.ParseMtime(head.Metadata["mtime"]));

        var again = await Run(Request(src, $"s3://{b1}/media/2026"));
        Assert.Equal((0, 0, files.Count), (again.Copied + again.Updated, again.Deleted, again.Skipped));

        var toBucket = await Run(Request($"s3://{b1}/media/2026", $"s3://{b2}/copy"));
        Assert.Equal(files.Count, toBucket.Copied);
        Assert.Equal(0, (await Run(Request($"s3://{b1}/media/2026", $"s3://{b2}/copy"))).Copied);

        var toFolder = await Run(Request($"s3://{b2}/copy", back));
        Assert.Equal(files.Count, toFolder.Copied);
        foreach (var (key, data) in files)
        {
            var path = Path.Combine(back, key.Replace('/', Path.DirectorySeparatorChar));
            Assert.Equal(data, File.ReadAllBytes(path));
            Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(src, key.Replace('/', Path.DirectorySeparatorChar))), File.GetLastWriteTimeUtc(path));
        }
        Assert.Empty(Directory.EnumerateFiles(back, "*" + FolderObjectStore.PartialSuffix, SearchOption.AllDirectories));
        var none = await Run(Request($"s3://{b2}/copy", back));
        Assert.Equal((0, files.Count), (none.Copied + none.Updated, none.Skipped));
    }

    [Fact]
    public async Task OneChangedFileTransfersOneAndDeleteRemovesExactlyTheExtras()
    {
        var src = NewFolder();
        var files = MakeTree(src);
        var bucket = await TestServers.NewBucketAsync();
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        await Run(Request(src, $"s3://{bucket}"));

        var changed = Path.Combine(src, "photos", "日本", "写真 1.png");
        File.WriteAllBytes(changed, RandomNumberGenerator.GetBytes(1234)); // same size, new time
        var c = new Collector();
        var one = await Run(Request(src, $"s3://{bucket}"), c);
        Assert.Equal(1, one.Updated);
        Assert.Equal(0, one.Copied);
        Assert.Equal("photos/日本/写真 1.png", Assert.Single(c.Items, i => i.Action == SyncActionKind.Update).Key);
        Assert.Equal(File.ReadAllBytes(changed), await ReadObject(client, bucket, "photos/日本/写真 1.png"));

        foreach (var extra in new[] { "extra.txt", "photos/extra 2.txt", "keep/me.log" })
            await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = extra, ContentBody = "x", UseChunkEncoding = false });
        var noDelete = await Run(Request(src, $"s3://{bucket}"));
        Assert.Equal(0, noDelete.Deleted);
        var deleted = await Run(Request(src, $"s3://{bucket}", new SyncPlanOptions { Delete = true, Exclude = new[] { "*.log" } }));
        Assert.Equal(2, deleted.Deleted);
        var keys = (await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => o.Key).ToHashSet();
        Assert.Equal(files.Keys.Append("keep/me.log").ToHashSet(), keys);
    }

    [Fact]
    public async Task DeclinedActionsChangeNothing()
    {
        var src = NewFolder();
        MakeTree(src);
        var bucket = await TestServers.NewBucketAsync();
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "extra", ContentBody = "x", UseChunkEncoding = false });
        var c = new Collector { Approve = false };
        var s = await Run(Request(src, $"s3://{bucket}", new SyncPlanOptions { Delete = true }), c);
        Assert.Equal((0, 0, 0), (s.Copied, s.Deleted, s.Failed));
        Assert.All(c.Items, i => Assert.Equal(SyncItemStatus.NotRun, i.Status));
        Assert.Equal("extra", Assert.Single((await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects).Key);
    }

    [Fact]
    public async Task TraversalKeysAreRefusedAndTheRestSyncs()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        // s3rver cannot hold "../" in a key (its own storage paths normalise it); these it keeps as given.
        foreach (var key in new[] { "..\\escape.txt", "C:/drive.txt", "ok/x/..", "ok/fine.txt" })
            await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "data", UseChunkEncoding = false });
        var parent = NewFolder();
        var dest = Path.Combine(parent, "dest");
        var c = new Collector();
        var s = await Run(Request($"s3://{bucket}", dest), c);
        Assert.Equal(1, s.Copied);
        Assert.Equal(3, s.Failed);
        Assert.Equal(3, c.Errors.Count);
        Assert.All(c.Errors, e => Assert.Equal("UnsafeObjectKey", e.ErrorId));
        Assert.All(c.Errors, e => Assert.Equal(FailureKind.InvalidData, e.Kind));
        Assert.Equal("data", File.ReadAllText(Path.Combine(dest, "ok", "fine.txt")));
        Assert.Equal(new[] { dest }, Directory.EnumerateFileSystemEntries(parent));
        Assert.Single(Directory.EnumerateFiles(dest, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task ChecksumFindsSameSizeEditsThatTimesMiss()
    {
        var src = NewFolder();
        var path = Path.Combine(src, "note.txt");
        File.WriteAllText(path, "aaaa");
        var bucket = await TestServers.NewBucketAsync();
        await Run(Request(src, $"s3://{bucket}"));
        File.WriteAllText(path, "bbbb");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddDays(-1)); // older than the object: the time rule says "same"
        Assert.Equal(0, (await Run(Request(src, $"s3://{bucket}"))).Updated);
        Assert.Equal(0, (await Run(Request(src, $"s3://{bucket}", new SyncPlanOptions { Mode = SyncCompareMode.SizeOnly }))).Updated);
        Assert.Equal(1, (await Run(Request(src, $"s3://{bucket}", new SyncPlanOptions { Mode = SyncCompareMode.Checksum }))).Updated);
        Assert.Equal(0, (await Run(Request(src, $"s3://{bucket}", new SyncPlanOptions { Mode = SyncCompareMode.Checksum }))).Updated);
    }

    [Fact]
    public async Task FolderDeleteRemovesFilesAndTheFoldersTheyLeaveEmpty()
    {
        var src = NewFolder();
        File.WriteAllText(Path.Combine(src, "keep.txt"), "k");
        var dst = NewFolder();
        Directory.CreateDirectory(Path.Combine(dst, "old", "deeper"));
        File.WriteAllText(Path.Combine(dst, "old", "deeper", "gone.txt"), "g");
        var s = await Run(Request(src, dst, new SyncPlanOptions { Delete = true }));
        Assert.Equal((1, 1), (s.Copied, s.Deleted));
        Assert.Equal(new[] { Path.Combine(dst, "keep.txt") }, Directory.EnumerateFileSystemEntries(dst));
    }

    [Fact]
    public async Task S3ToS3CopiesServerSide()
    {
        // RGW does CopyObject as Amazon does (also with the SDK's %2F-encoded copy source): no streaming, no warning.
        var b1 = await TestServers.NewBucketAsync();
        var b2 = await TestServers.NewBucketAsync();
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        for (var i = 0; i < 5; i++)
            await client.PutObjectAsync(new PutObjectRequest { BucketName = b1, Key = $"d/k{i}", ContentBody = $"v{i}", UseChunkEncoding = false });
        var sink = new Sink();
        var service = new SyncService(new Collector { Sink = sink });
        var s = await service.RunAsync(Request($"s3://{b1}", $"s3://{b2}"), CancellationToken.None);
        Assert.Equal(5, s.Copied);
        Assert.False(service.ServerCopyRefused);
        Assert.Empty(sink.Warnings);
        Assert.Equal("v3"u8.ToArray(), await ReadObject(client, b2, "d/k3"));
    }

    [Fact]
    public async Task ServerCopyRefusalFallsBackToStreamingOnce()
    {
        // s3rver 5.0.0 misreads the SDK's URL-encoded x-amz-copy-source (NoSuchBucket): the engine streams instead.
        var options = TestServers.S3rverOptions;
        var b1 = await TestServers.NewBucketAsync(options);
        var b2 = await TestServers.NewBucketAsync(options);
        using var client = S3ClientFactory.Create(options);
        for (var i = 0; i < 5; i++)
            await client.PutObjectAsync(new PutObjectRequest { BucketName = b1, Key = $"k{i}", ContentBody = $"v{i}", UseChunkEncoding = false });
        var sink = new Sink();
        var service = new SyncService(new Collector { Sink = sink });
        var s = await service.RunAsync(Request($"s3://{b1}", $"s3://{b2}") with { SourceS3 = options, DestinationS3 = options }, CancellationToken.None);
        Assert.Equal(5, s.Copied);
        Assert.True(service.ServerCopyRefused);
        Assert.Single(sink.Warnings);
        Assert.Equal("v3"u8.ToArray(), await ReadObject(client, b2, "k3"));
    }

    [Fact]
    public async Task RangeListingFindsExactlyWhatAPagedListingFinds()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var client = S3ClientFactory.Create(TestServers.S3Options, maxConnections: 32);
        var keys = Enumerable.Range(0, 1400).Select(i => $"p/{i % 37:D2}/f{i:D4}.bin")
            .Concat(new[] { "p/a.txt", "p/a/b", "p/a-b", "p/日本/x", "p/😀.txt", "p/\uE000x", "p/zz/last" }).ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (k, ct) =>
            await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = k, ContentBody = "x", UseChunkEncoding = false }, ct));
        using var side = new SyncSide(ObjectStores.Open(BackupLocation.Parse($"s3://{bucket}/p"), TestServers.S3Options, maxConnections: 32), isSource: false) { ListParallelism = 4 };
        var paged = (await side.ListAsync(null, CancellationToken.None)).Select(e => e.Key).ToList();
        Assert.Equal(keys.Count, paged.Count);
        // Hints as a folder would give them: most keys, some missing, some extra.
        var hints = paged.Where((k, i) => i % 10 != 0).Concat(new[] { "0-not-there", "m/not/there", "\U0001F600-not" }).ToList();
        var ranged = (await side.ListAsync(hints, CancellationToken.None)).Select(e => e.Key).ToList();
        Assert.Equal(paged.OrderBy(k => k, StringComparer.Ordinal), ranged.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(ranged.Count, ranged.Distinct().Count());
    }

    [Fact]
    public void Utf8OrderIsS3sKeyOrder()
    {
        var keys = new[] { "a/b", "a.txt", "a-b", "\uE000", "😀", "Z", "a", "日本", "ab" };
        var byBytes = keys.OrderBy(k => Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(k)), StringComparer.Ordinal).ToArray();
        Assert.Equal(byBytes, keys.OrderBy(k => k, Utf8Order.Instance).ToArray());
    }

    [Fact]
    public async Task ARejectedStorageClassStopsTheSyncWithOneClearError()
    {
        var src = NewFolder();
        MakeTree(src); // small files (PutObject) and a 20 MiB one (multipart)
        var bucket = await TestServers.NewBucketAsync();
        var c = new Collector();
        var e = await Assert.ThrowsAsync<ClutterException>(() => Run(Request(src, $"s3://{bucket}") with { StorageClass = "NO_SUCH_CLASS" }, c));
        Assert.Equal("StorageClassRejected", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Contains("-StorageClass", e.Message);
        Assert.Empty(c.Errors); // one terminating error, not one per file
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        Assert.Empty((await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects ?? new List<S3Object>());
        // STANDARD_IA is accepted and kept.
        var ok = await Run(Request(src, $"s3://{bucket}") with { StorageClass = "STANDARD_IA" });
        Assert.Equal(0, ok.Failed);
        var head = await client.GetObjectMetadataAsync(bucket, "big/video.mp4");
        Assert.Equal("STANDARD_IA", head.StorageClass?.Value);
    }

    [Fact]
    public async Task MissingSourceAndDestinationAreClearErrors()
    {
        var missing = Path.Combine(Path.GetTempPath(), "clutterdr-missing-" + Guid.NewGuid().ToString("N")[..8]);
        var e = await Assert.ThrowsAsync<ClutterException>(() => Run(Request(missing, NewFolder())));
        Assert.Equal("SourceNotFound", e.ErrorId);
        var src = NewFolder();
        File.WriteAllText(Path.Combine(src, "a"), "a");
        e = await Assert.ThrowsAsync<ClutterException>(() => Run(Request(src, "s3://no-such-bucket-" + Guid.NewGuid().ToString("N")[..8])));
        Assert.Equal("DestinationNotFound", e.ErrorId);
        e = await Assert.ThrowsAsync<ClutterException>(() => Run(Request(src, Path.Combine(src, "inside"))));
        Assert.Equal("SyncLocationsOverlap", e.ErrorId);
    }
}
