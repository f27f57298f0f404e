using System.Collections.Concurrent;
using System.Security;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Database;
using ClutterDR.FaultProxy;
using ClutterDR.Snapshots;
using ClutterDR.Storage;

namespace ClutterDR.Tests;

/// <summary>Storage snapshots (Backup-/Restore-ClutterStorage, Test-ClutterStorageSnapshot) against the real S3 test server, real folders and PostgreSQL.</summary>
public class SnapshotTests
{
    private sealed class Host : IEngineHost
    {
        public ConcurrentBag<ClutterException> Problems { get; } = new();
        public ConcurrentBag<ProgressUpdate> Updates { get; } = new();
        public void Progress(ProgressUpdate update) => Updates.Add(update);
        public void Verbose(string message) { }
        public void Warning(string message) { }
        public ValueTask ProblemAsync(ClutterException problem) { Problems.Add(problem); return ValueTask.CompletedTask; }
        public ValueTask ItemAsync(object item) => ValueTask.CompletedTask;
        public ValueTask<IReadOnlyList<Consent>> ConfirmAsync(IReadOnlyList<PlannedChange> changes) =>
            ValueTask.FromResult<IReadOnlyList<Consent>>(changes.Select(_ => Consent.Run).ToList());
    }

    private static readonly byte[] Shared = RandomNumberGenerator.GetBytes(3000);

    /// <summary>The sync tests' tree (non-ASCII and space names, a zero-byte file, a 20 MiB file) and one content under two keys.</summary>
    private static Dictionary<string, byte[]> Tree() => new()
    {
        ["readme.txt"] = "hello"u8.ToArray(),
        ["empty.bin"] = Array.Empty<byte>(),
        ["photos/2026/ñandú en el parque.jpg"] = RandomNumberGenerator.GetBytes(70_000),
        ["photos/日本/写真 1.png"] = RandomNumberGenerator.GetBytes(1234),
        ["deep/a/b/c/d/file with spaces.dat"] = RandomNumberGenerator.GetBytes(5000),
        ["big/video.mp4"] = RandomNumberGenerator.GetBytes(20 << 20),
        ["dup/one.bin"] = Shared,
        ["dup/two.bin"] = Shared,
    };

    private static string NewFolder() => Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "clutterdr-xt-snap-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    private static async Task PutTreeAsync(IAmazonS3 client, string bucket, Dictionary<string, byte[]> files)
    {
        foreach (var (key, data) in files)
        {
            var put = new PutObjectRequest { BucketName = bucket, Key = "media/" + key, InputStream = new MemoryStream(data), UseChunkEncoding = false };
            put.Metadata.Add("owner", "user-" + key.Length);
            if (key.EndsWith(".dat", StringComparison.Ordinal)) put.ContentType = "application/x-custom";
            await client.PutObjectAsync(put);
        }
    }

    private static async Task<byte[]> ReadAsync(IAmazonS3 client, string bucket, string key)
    {
        using var r = await client.GetObjectAsync(bucket, key);
        var ms = new MemoryStream();
        await r.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }

    private static Task<StorageSnapshot> Snap(string source, string destination, Storage.S3Options? sourceS3 = null, EncryptionOptions? encryption = null, Host? host = null) =>
        new SnapshotBackupService(host ?? new Host()).RunAsync(new SnapshotBackupRequest
        {
            Source = BackupLocation.Parse(source), Destination = BackupLocation.Parse(destination),
            SourceS3 = sourceS3 ?? TestServers.S3Options, DestinationS3 = TestServers.S3Options, ThrottleLimit = 4,
            Encryption = encryption ?? new EncryptionOptions(),
        }, CancellationToken.None);

    private static Task<StorageRestoreResult> Restore(string snapshot, string destination, DecryptionOptions? decryption = null, Host? host = null, IReadOnlyList<string>? include = null) =>
        new SnapshotRestoreService(host ?? new Host()).RunAsync(new SnapshotRestoreRequest
        {
            Snapshot = BackupLocation.Parse(snapshot), SnapshotS3 = TestServers.S3Options,
            Destination = BackupLocation.Parse(destination), DestinationS3 = TestServers.S3Options, ThrottleLimit = 4,
            Decryption = decryption ?? new DecryptionOptions(), Include = include ?? Array.Empty<string>(),
        }, CancellationToken.None);

    private static Task<StorageSnapshotCheck> Check(string snapshot, Host host, bool deep = false, PgConnectionSettings? db = null, DecryptionOptions? decryption = null) =>
        new SnapshotCheckService(host).RunAsync(new SnapshotCheckRequest
        {
            Snapshot = BackupLocation.Parse(snapshot), S3 = TestServers.S3Options, Deep = deep, Database = db, Decryption = decryption ?? new DecryptionOptions(),
        }, CancellationToken.None);

    [Fact]
    public async Task BucketSnapshotRestoresIntoANewBucketAndAFolderWithMetadataAndStoresEachContentOnce()
    {
        var files = Tree();
        var (src, repo, copy) = (await TestServers.NewBucketAsync(), await TestServers.NewBucketAsync(), await TestServers.NewBucketAsync());
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        await PutTreeAsync(client, src, files);

        var host = new Host();
        var first = await Snap($"s3://{src}/media", $"s3://{repo}/snaps", host: host);
        Assert.Empty(host.Problems);
        Assert.Equal((files.Count, files.Count - 1, 1), (first.Files, first.NewBlobs, first.Reused)); // dup stored once
        Assert.Equal(files.Values.Sum(v => (long)v.Length), first.Bytes);
        Assert.Equal($"{src}-media", first.Name);
        Assert.Contains(host.Updates, u => u.Completed);
        var blobs = await SnapshotRepository.BlobsAsync(ObjectStores.Open(BackupLocation.Parse($"s3://{repo}/snaps"), TestServers.S3Options), CancellationToken.None);
        Assert.Equal(files.Count - 1, blobs.Count);

        var toBucket = await Restore(first.Location, $"s3://{copy}/restored");
        Assert.Equal((files.Count, 0, 0), (toBucket.Restored, toBucket.Skipped, toBucket.Failed));
        foreach (var (key, data) in files)
        {
            Assert.Equal(data, await ReadAsync(client, copy, "restored/" + key));
            var head = await client.GetObjectMetadataAsync(copy, "restored/" + key);
            Assert.Equal("user-" + key.Length, head.Metadata["owner"]);
            Assert.Equal(key.EndsWith(".dat", StringComparison.Ordinal) ? "application/x-custom" : key.EndsWith(".jpg", StringComparison.Ordinal) ? "image/jpeg" : head.Headers.ContentType, head.Headers.ContentType);
        }
        Assert.Equal("image/png", (await client.GetObjectMetadataAsync(copy, "restored/photos/日本/写真 1.png")).Headers.ContentType);

        var folder = Path.Combine(NewFolder(), "media");
        var toFolder = await Restore($"s3://{repo}/snaps", folder); // the root: its newest snapshot
        Assert.Equal(files.Count, toFolder.Restored);
        foreach (var (key, data) in files)
            Assert.Equal(data, File.ReadAllBytes(Path.Combine(folder, key.Replace('/', Path.DirectorySeparatorChar))));

        // Again: everything is identical at both destinations already.
        Assert.Equal((0, files.Count), ((await Restore(first.Location, $"s3://{copy}/restored")).Restored, (await Restore(first.Location, $"s3://{copy}/restored")).Skipped));
        Assert.Equal((0, files.Count), ((await Restore(first.Location, folder)).Restored, (await Restore(first.Location, folder)).Skipped));
    }

    [Fact]
    public async Task UnchangedSecondSnapshotReadsNoContentAndAChangeUploadsOneBlobWhileTheFirstStillRestores()
    {
        var files = Tree();
        var (src, repo) = (await TestServers.NewBucketAsync(), await TestServers.NewBucketAsync());
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        await PutTreeAsync(client, src, files);
        var first = await Snap($"s3://{src}/media", $"s3://{repo}");

        using var proxy = new S3FaultProxy(TestServers.S3Endpoint).Start();
        var viaProxy = TestServers.S3Options with { EndpointUrl = proxy.Endpoint };
        var second = await Snap($"s3://{src}/media", $"s3://{repo}", sourceS3: viaProxy);
        var contentReads = proxy.Requests.Count(r => r.Method is "GET" or "HEAD" && !r.Query.Contains("list-type", StringComparison.Ordinal) && !r.Query.Contains("prefix", StringComparison.Ordinal));
        Assert.Equal(0, contentReads);
        Assert.True(proxy.Requests.Count > 0); // the listing went through the proxy
        Assert.Equal((0, 0L, files.Count), (second.NewBlobs, second.NewBytes, second.Reused));
        Assert.NotEqual(first.Location, second.Location);

        var changed = RandomNumberGenerator.GetBytes(4321);
        await client.PutObjectAsync(new PutObjectRequest { BucketName = src, Key = "media/readme.txt", InputStream = new MemoryStream(changed), UseChunkEncoding = false });
        await client.DeleteObjectAsync(src, "media/photos/日本/写真 1.png");
        var third = await Snap($"s3://{src}/media", $"s3://{repo}");
        Assert.Equal((files.Count - 1, 1, 4321L), (third.Files, third.NewBlobs, third.NewBytes));

        var old = NewFolder();
        var restored = await Restore(first.Location, old);
        Assert.Equal(files.Count, restored.Restored);
        Assert.Equal("hello"u8.ToArray(), File.ReadAllBytes(Path.Combine(old, "readme.txt")));
        Assert.Equal(files["photos/日本/写真 1.png"], File.ReadAllBytes(Path.Combine(old, "photos", "日本", "写真 1.png")));
        var latest = NewFolder();
        await Restore($"s3://{repo}", latest);
        Assert.Equal(changed, File.ReadAllBytes(Path.Combine(latest, "readme.txt")));
        Assert.False(File.Exists(Path.Combine(latest, "photos", "日本", "写真 1.png")));

        // One file out of the newest snapshot reads its index and its blob, nothing else.
        using var proxy2 = new S3FaultProxy(TestServers.S3Endpoint).Start();
        var one = NewFolder();
        var r1 = await new SnapshotRestoreService(new Host()).RunAsync(new SnapshotRestoreRequest
        {
            Snapshot = BackupLocation.Parse(third.Location), SnapshotS3 = TestServers.S3Options with { EndpointUrl = proxy2.Endpoint },
            Destination = BackupLocation.Parse(one), Include = ["dup/one.bin"],
        }, CancellationToken.None);
        Assert.Equal(1, r1.Restored);
        Assert.Equal(new[] { "GET" }, proxy2.Requests.Select(r => r.Method).Distinct());
        Assert.Equal(2, proxy2.Requests.Count);
    }

    [Fact]
    public async Task ABlobDeletedByHandFailsTheCheckNamingItsFilesAndTheDatabaseCrossCheckFindsAMissingFile()
    {
        var files = Tree();
        var (src, repo) = (await TestServers.NewBucketAsync(), await TestServers.NewBucketAsync());
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        await PutTreeAsync(client, src, files.Where(f => f.Key != "big/video.mp4").ToDictionary());
        var snap = await Snap($"s3://{src}", $"s3://{repo}/snaps");

        var good = new Host();
        var ok = await Check(snap.Location, good, deep: true);
        Assert.True(ok.Passed);
        Assert.Empty(good.Problems);

        var sha = Convert.ToHexString(SHA256.HashData(Shared)).ToLowerInvariant();
        await client.DeleteObjectAsync(repo, "snaps/" + SnapshotIndex.BlobKey(sha));
        var host = new Host();
        var bad = await Check(snap.Location, host);
        Assert.False(bad.Passed);
        Assert.Equal(2, bad.MissingBlobs);
        Assert.Equal(new[] { "media/dup/one.bin", "media/dup/two.bin" }, host.Problems.Select(p => (string)p.Target!).Order());
        Assert.All(host.Problems, p => Assert.True(p.Is(Errors.SnapshotBlobMissing)));

        // A damaged blob: -Deep finds it by its hash.
        var jpg = Convert.ToHexString(SHA256.HashData(files["photos/2026/ñandú en el parque.jpg"])).ToLowerInvariant();
        await client.PutObjectAsync(new PutObjectRequest { BucketName = repo, Key = "snaps/" + SnapshotIndex.BlobKey(jpg), InputStream = new MemoryStream(RandomNumberGenerator.GetBytes(70_000)), UseChunkEncoding = false });
        var deepHost = new Host();
        var deep = await Check(snap.Location, deepHost, deep: true);
        Assert.Equal(1, deep.DamagedBlobs);
        Assert.Contains(deepHost.Problems, p => p.Is(Errors.SnapshotBlobDamaged) && (string)p.Target! == "media/photos/2026/ñandú en el parque.jpg");
        var restoreHost = new Host();
        var restored = await Restore(snap.Location, NewFolder(), host: restoreHost, include: ["media/photos/*"]);
        Assert.Equal((1, 1), (restored.Restored, restored.Failed));
        Assert.Contains(restoreHost.Problems, p => p.Is(Errors.SnapshotBlobDamaged));

        var db = await TestServers.NewDatabaseAsync($"""
            create schema storage;
            create table storage.objects (id serial primary key, bucket_id text, name text);
            insert into storage.objects (bucket_id, name) values ('{src}', 'media/readme.txt'), ('{src}', 'media/dup/one.bin'),
                ('{src}', 'media/gone/lost photo.jpg'), ('other-bucket', 'media/x.jpg');
            """);
        var dbHost = new Host();
        var cross = await Check($"s3://{repo}/snaps", dbHost, db: PgConnectionSettings.Parse(TestServers.PgUrl(db)));
        Assert.Equal((3, 1), (cross.DatabaseFiles, cross.MissingFiles));
        Assert.Contains(dbHost.Problems, p => p.Is(Errors.SnapshotFileMissing) && (string)p.Target! == $"{src}/media/gone/lost photo.jpg");
    }

    [Fact]
    public async Task EncryptedFolderSnapshotRestoresWithThePassphraseOnly()
    {
        var files = Tree();
        var src = NewFolder();
        foreach (var (key, data) in files)
        {
            var path = Path.Combine(src, key.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, data);
        }
        var repo = Path.Combine(NewFolder(), "repo");
        var pass = new SecureString();
        foreach (var c in "snapshot-pass-7") pass.AppendChar(c);
        var snap = await Snap(src, repo, encryption: new EncryptionOptions { Passphrase = pass });
        Assert.True(snap.Encrypted);
        Assert.Equal(files.Count - 1, snap.NewBlobs);
        var blob = Directory.GetFiles(Path.Combine(repo, "blobs"), "*", SearchOption.AllDirectories).First();
        Assert.DoesNotContain(files.Values.Where(v => v.Length > 100), v => File.ReadAllBytes(blob).AsSpan().IndexOf(v.AsSpan(0, 64)) >= 0);

        var again = await Snap(src, repo, encryption: new EncryptionOptions { Passphrase = pass });
        Assert.Equal((0, files.Count), (again.NewBlobs, again.Reused));

        var noKey = new Host();
        await Assert.ThrowsAsync<ClutterException>(() => Restore(snap.Location, NewFolder(), host: noKey));
        var back = NewFolder();
        var done = await Restore(snap.Location, back, new DecryptionOptions { Passphrase = pass });
        Assert.Equal(files.Count, done.Restored);
        foreach (var (key, data) in files)
        {
            var path = Path.Combine(back, key.Replace('/', Path.DirectorySeparatorChar));
            Assert.Equal(data, File.ReadAllBytes(path));
            Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(src, key.Replace('/', Path.DirectorySeparatorChar))), File.GetLastWriteTimeUtc(path));
        }
        Assert.True((await Check(snap.Location, new Host(), deep: true, decryption: new DecryptionOptions { Passphrase = pass })).Passed);
    }

    [Theory]
    [InlineData("snapshots/media_20260102T030405Z.json.zst", "media")]
    [InlineData("snapshots/a.b-c_20261231T235959Z.json.zst", "a.b-c")]
    public void IndexKeysRoundTrip(string key, string name)
    {
        var parsed = SnapshotIndex.ParseKey(key);
        Assert.NotNull(parsed);
        Assert.Equal(name, parsed.Value.Name);
        Assert.Equal(key, SnapshotIndex.IndexKey(parsed.Value.Name, parsed.Value.Created));
        Assert.Null(SnapshotIndex.ParseKey("snapshots/media_2026.json.zst"));
        Assert.Equal("my-bucket-media-2026", SnapshotIndex.NameOf(null, BackupLocation.Parse("s3://my-bucket/media/2026")));
        Assert.Throws<ClutterException>(() => SnapshotIndex.NameOf("///", BackupLocation.Parse("s3://b")));
    }
}
