using System.Text;
using ClutterDR.Catalog;
using ClutterDR.Storage;

namespace ClutterDR.Tests;

/// <summary>
/// The IObjectStore contract, the same tests against both implementations: a real folder, and the real
/// S3 server (Ceph RGW) under a prefix of a new bucket.
/// </summary>
public class ObjectStoreTests
{
    public static TheoryData<string> Backends => new() { "folder", "s3" };

    private static async Task<IObjectStore> OpenAsync(string backend)
    {
        var location = backend == "s3"
            ? BackupLocation.Parse($"s3://{await TestServers.NewBucketAsync()}/store")
            : BackupLocation.ForFolder(Directory.CreateTempSubdirectory("clutterdr-xt-store-").FullName);
        // Small parts, so that a few MiB already make a multipart upload.
        return ObjectStores.Open(location, TestServers.S3Options, new S3UploadOptions { InitialPartSize = 5 << 20, PartsInFlight = 2 });
    }

    private static Task PutAsync(IObjectStore store, string key, string text, WriteOptions? options = null) =>
        store.PutAsync(key, Encoding.UTF8.GetBytes(text), options ?? new WriteOptions(), CancellationToken.None);

    private static async Task<string> ReadAsync(IObjectStore store, string key, long offset = 0, long? length = null)
    {
        await using var s = await store.OpenReadAsync(key, CancellationToken.None, offset, length);
        using var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static async Task<List<string>> KeysAsync(IObjectStore store, string prefix = "", string? after = null, string? upTo = null)
    {
        var keys = new List<string>();
        await foreach (var e in store.ListAsync(prefix, CancellationToken.None, after, upTo)) keys.Add(e.Key);
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task ListsUnderAPrefixBetweenAfterAndUpToAndOneLevelDeep(string backend)
    {
        using var store = await OpenAsync(backend);
        foreach (var k in new[] { "a/1", "a/2", "a/b/3", "b/4", "c" }) await PutAsync(store, k, k);
        Assert.Equal(new[] { "a/1", "a/2", "a/b/3", "b/4", "c" }, await KeysAsync(store));
        Assert.Equal(new[] { "a/1", "a/2", "a/b/3" }, await KeysAsync(store, "a/"));
        Assert.Equal(new[] { "a/2", "a/b/3", "b/4" }, await KeysAsync(store, "", after: "a/1", upTo: "b/4"));
        var level = await store.ListLevelAsync("", CancellationToken.None);
        Assert.Equal(new[] { "a/", "b/" }, level.Prefixes.Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "c" }, level.Keys);
        var below = await store.ListLevelAsync("a/", CancellationToken.None);
        Assert.Equal(new[] { "a/b/" }, below.Prefixes);
        Assert.Equal(new[] { "a/1", "a/2" }, below.Keys.Order(StringComparer.Ordinal));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task StatTellsSizeTimeMetadataAndContentTypeAndNullWhenMissing(string backend)
    {
        using var store = await OpenAsync(backend);
        var before = DateTime.UtcNow.AddMinutes(-5);
        await PutAsync(store, "x/doc.json", "{\"a\":1}", new WriteOptions { ContentType = "application/json", Metadata = new Dictionary<string, string> { ["mtime"] = "1700000000" } });
        var stat = await store.StatAsync("x/doc.json", CancellationToken.None);
        Assert.NotNull(stat);
        Assert.Equal(7, stat!.Size);
        Assert.InRange(stat.LastModifiedUtc, before, DateTime.UtcNow.AddMinutes(5));
        if (store.Features.HasFlag(StoreFeatures.Metadata))
        {
            Assert.Equal("1700000000", stat.Metadata["mtime"]);
            Assert.Equal("application/json", stat.ContentType);
            Assert.Equal(Convert.ToHexString(System.Security.Cryptography.MD5.HashData("{\"a\":1}"u8)).ToLowerInvariant(), stat.Md5);
        }
        else
        {
            Assert.Empty(stat.Metadata);
        }
        Assert.Null(await store.StatAsync("x/missing", CancellationToken.None));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.OpenReadAsync("x/missing", CancellationToken.None));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task ReadsAByteRange(string backend)
    {
        using var store = await OpenAsync(backend);
        await PutAsync(store, "r", "0123456789");
        Assert.Equal("0123456789", await ReadAsync(store, "r"));
        Assert.Equal("3456", await ReadAsync(store, "r", 3, 4));
        Assert.Equal("789", await ReadAsync(store, "r", 7));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task AWriteIsInvisibleUntilCompleteAndAnAbortLeavesNothing(string backend)
    {
        using var store = await OpenAsync(backend);
        var data = new byte[12 << 20]; // more than two parts on S3
        Random.Shared.NextBytes(data);
        await using (var writer = await store.CreateWriteAsync("big/one.bin", new WriteOptions { ExpectedSize = data.Length }, CancellationToken.None))
        {
            await writer.Stream.WriteAsync(data);
            Assert.Equal(data.Length, writer.BytesWritten);
            Assert.Empty(await KeysAsync(store));
            Assert.Null(await store.StatAsync("big/one.bin", CancellationToken.None));
            await writer.CompleteAsync(CancellationToken.None);
        }
        Assert.Equal(new[] { "big/one.bin" }, await KeysAsync(store));
        Assert.Equal(data.Length, (await store.StatAsync("big/one.bin", CancellationToken.None))!.Size);

        await using (var aborted = await store.CreateWriteAsync("big/two.bin", new WriteOptions(), CancellationToken.None))
        {
            await aborted.Stream.WriteAsync(data);
            await aborted.AbortAsync();
        }
        Assert.Equal(new[] { "big/one.bin" }, await KeysAsync(store));
        Assert.Empty(await IncompleteAsync(store));
    }

    private static async Task<List<IncompleteWrite>> IncompleteAsync(IObjectStore store, TimeSpan? olderThan = null)
    {
        var found = new List<IncompleteWrite>();
        await foreach (var w in store.ListIncompleteWritesAsync("", DateTime.UtcNow - (olderThan ?? TimeSpan.FromMinutes(-5)), CancellationToken.None)) found.Add(w);
        return found;
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task ACreateOnlyPutRefusesASecondCreate(string backend)
    {
        using var store = await OpenAsync(backend);
        Assert.True(await store.SupportsCreateOnlyAsync(CancellationToken.None)); // RGW honours If-None-Match; a folder has O_EXCL
        var once = new WriteOptions { CreateOnly = true };
        Assert.True(await store.PutAsync("claim/x.claim", Array.Empty<byte>(), once, CancellationToken.None));
        Assert.False(await store.PutAsync("claim/x.claim", Array.Empty<byte>(), once, CancellationToken.None));
        // Without CreateOnly the object is replaced.
        await PutAsync(store, "claim/x.claim", "new");
        Assert.Equal("new", await ReadAsync(store, "claim/x.claim"));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task ABatchDeleteRemovesEveryKeyGiven(string backend)
    {
        using var store = await OpenAsync(backend);
        foreach (var k in new[] { "d/1", "d/2", "d/3", "keep" }) await PutAsync(store, k, k);
        await store.DeleteAsync(new[] { "d/1", "d/2", "d/3" }, CancellationToken.None);
        Assert.Equal(new[] { "keep" }, await KeysAsync(store));
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task IncompleteWritesAreListedAndAborted(string backend)
    {
        using var store = await OpenAsync(backend);
        // What a killed process leaves: a write started and never completed nor aborted.
        var data = new byte[11 << 20];
        var writer = await store.CreateWriteAsync("db/killed.bin", new WriteOptions(), CancellationToken.None);
        await writer.Stream.WriteAsync(data);
        await writer.Stream.FlushAsync();
        // Deliberately neither completed nor aborted yet.
        var found = Assert.Single(await IncompleteAsync(store));
        Assert.Equal("db/killed.bin", found.Key);
        Assert.Equal(store is S3ObjectStore, found.UploadId is not null);
        Assert.Empty(await KeysAsync(store)); // never listed as an object
        Assert.Empty(await KeysAsync(store, "db/"));
        Assert.Empty(await IncompleteAsync(store, TimeSpan.FromHours(1))); // too young
        await store.AbortIncompleteWriteAsync(found, CancellationToken.None);
        Assert.Empty(await IncompleteAsync(store));
        await store.AbortIncompleteWriteAsync(found, CancellationToken.None); // gone already: no error
        await writer.DisposeAsync();
        Assert.Empty(await KeysAsync(store));
    }

    [Fact]
    public async Task AServerSideCopyNeedsTheSameClient()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var a = ObjectStores.Open(BackupLocation.Parse($"s3://{bucket}/a"), TestServers.S3Options);
        using var b = ObjectStores.Open(BackupLocation.Parse($"s3://{bucket}/b"), TestServers.S3Options, shareClientWith: a);
        using var folder = ObjectStores.Open(BackupLocation.ForFolder(Directory.CreateTempSubdirectory("clutterdr-xt-store-").FullName), TestServers.S3Options);
        Assert.True(b.CanCopyFrom(a));
        Assert.False(folder.CanCopyFrom(a));
        Assert.False(a.CanCopyFrom(folder));
        await PutAsync(a, "k", "copied", new WriteOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "5" } });
        await b.CopyAsync(a, "k", "k2", new WriteOptions(), CancellationToken.None);
        Assert.Equal("copied", await ReadAsync(b, "k2"));
        Assert.Equal("5", (await b.StatAsync("k2", CancellationToken.None))!.Metadata["mtime"]);
    }

    [Fact]
    public async Task ASecondFolderWriterOfOneNameIsRefusedAndTheFirstsBytesStay()
    {
        using var store = await OpenAsync("folder");
        await using var first = await store.CreateWriteAsync("db/same.bin", new WriteOptions(), CancellationToken.None);
        await first.Stream.WriteAsync(Encoding.UTF8.GetBytes("first writer's bytes"));
        await first.Stream.FlushAsync();
        await Assert.ThrowsAnyAsync<IOException>(() => store.CreateWriteAsync("db/same.bin", new WriteOptions(), CancellationToken.None));
        await first.CompleteAsync(CancellationToken.None);
        Assert.Equal("first writer's bytes", await ReadAsync(store, "db/same.bin"));
    }
}
