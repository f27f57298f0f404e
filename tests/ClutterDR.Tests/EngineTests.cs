using System.Security.Cryptography;
using Amazon.S3.Model;
using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Tests;

/// <summary>The engine against the real PostgreSQL and S3 test servers: no fakes.</summary>
public class S3RepositoryTests
{
    [Fact]
    public async Task MultipartUploadStoresEveryByte()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var repo = BackupRepository.Open(BackupLocation.Parse($"s3://{bucket}/p"), TestServers.S3Options,
            new S3UploadOptions { InitialPartSize = 5 << 20, PartsInFlight = 2 });
        var data = RandomNumberGenerator.GetBytes((17 << 20) + 12345); // 4 parts, the last one short
        await using (var writer = await repo.CreateAsync("db/obj.bin", null, CancellationToken.None))
        {
            for (var i = 0; i < data.Length; i += 100_000)
                await writer.Stream.WriteAsync(data.AsMemory(i, Math.Min(100_000, data.Length - i)));
            await writer.CompleteAsync(CancellationToken.None);
        }
        await using var read = await repo.OpenReadAsync("db/obj.bin", CancellationToken.None);
        var back = new MemoryStream();
        await read.CopyToAsync(back);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back.ToArray()));
        var entries = await ToListAsync(repo.ListAsync("", CancellationToken.None));
        Assert.Equal("db/obj.bin", Assert.Single(entries).Key);
        Assert.Equal(data.Length, entries[0].Size);
    }

    [Fact]
    public async Task SmallStreamBecomesOnePutAndEmptyStreamWorks()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var repo = BackupRepository.Open(BackupLocation.Parse($"s3://{bucket}"), TestServers.S3Options);
        await using (var w = await repo.CreateAsync("a", null, CancellationToken.None))
        {
            await w.Stream.WriteAsync(new byte[] { 1, 2, 3 });
            await w.CompleteAsync(CancellationToken.None);
        }
        await using (var w = await repo.CreateAsync("empty", null, CancellationToken.None))
            await w.CompleteAsync(CancellationToken.None);
        Assert.Equal(new byte[] { 1, 2, 3 }, await repo.TryReadAllAsync("a", CancellationToken.None));
        Assert.Empty((await repo.TryReadAllAsync("empty", CancellationToken.None))!);
        Assert.Null(await repo.TryReadAllAsync("missing", CancellationToken.None));
    }

    [Fact]
    public async Task AbortedUploadLeavesNothing()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var repo = BackupRepository.Open(BackupLocation.Parse($"s3://{bucket}"), TestServers.S3Options,
            new S3UploadOptions { InitialPartSize = 5 << 20 });
        await using (var w = await repo.CreateAsync("partial", null, CancellationToken.None))
        {
            await w.Stream.WriteAsync(RandomNumberGenerator.GetBytes(11 << 20)); // two parts uploaded
            await w.AbortAsync();
        }
        Assert.Empty(await ToListAsync(repo.ListAsync("", CancellationToken.None)));
        Assert.False(await repo.ExistsAsync("partial", CancellationToken.None));
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        Assert.Empty(await ListUploadsAsync(client, bucket)); // RGW lists uploads in progress: the abort really happened
    }

    [Fact]
    public async Task MissingBucketIsAClearError()
    {
        using var repo = BackupRepository.Open(BackupLocation.Parse("s3://no-such-bucket-" + Guid.NewGuid().ToString("N")[..8] + "/x"), TestServers.S3Options);
        var e = await Assert.ThrowsAsync<ClutterException>(() => repo.EnsureWritableAsync(CancellationToken.None));
        Assert.Equal("DestinationNotFound", e.ErrorId);
        Assert.Equal(FailureKind.ObjectNotFound, e.Kind);
    }

    internal static async Task<List<MultipartUpload>> ListUploadsAsync(Amazon.S3.IAmazonS3 client, string bucket) =>
        (await client.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? new List<MultipartUpload>();

    internal static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var i in items) list.Add(i);
        return list;
    }
}

public class BackupServiceTests
{
    private const string Schema = """
        create table items (id int primary key, body text);
        insert into items select g, repeat(md5(g::text), 20) from generate_series(1, 20000) g;
        create table "Odd Name" (x int);
        insert into "Odd Name" values (1), (2);
        """;

    private static BackupRequest Request(string database, BackupLocation destination) => new()
    {
        Connection = PgConnectionSettings.Parse(TestServers.PgUrl(database)),
        Destination = destination,
        S3 = TestServers.S3Options,
    };

    [Fact]
    public async Task BackupWritesDataThenManifestWithSnapshotRowCounts()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var dir = Directory.CreateTempSubdirectory("clutterdr-xt-").FullName;
        var info = await new BackupService(NullHost.Instance).RunAsync(Request(db, BackupLocation.ForFolder(dir)), CancellationToken.None);

        Assert.True(File.Exists(info.Location));
        Assert.True(File.Exists(info.ManifestLocation));
        Assert.Equal(new FileInfo(info.Location).Length, info.SizeBytes);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(info.Location))).ToLowerInvariant(), info.Sha256);
        Assert.Equal(20000, info.Tables.Single(t => t.Name == "items").Rows);
        Assert.Equal(2, info.Tables.Single(t => t.Name == "Odd Name").Rows);
        Assert.Empty(Directory.GetFiles(dir, "*.partial", SearchOption.AllDirectories));
        var listed = await BackupCatalog.FindAsync(new BackupQuery { Location = BackupLocation.ForFolder(dir) }, CancellationToken.None);
        Assert.Equal(info.Location, Assert.Single(listed).Location);
    }

    [Fact]
    public async Task CancelledBackupToS3LeavesNoObjectAndNoManifest()
    {
        var db = await TestServers.NewDatabaseAsync("create table big as select g, md5(g::text) || repeat(random()::text, 30) as t from generate_series(1, 400000) g;");
        var bucket = await TestServers.NewBucketAsync();
        using var cts = new CancellationTokenSource();
        var sink = new CancelOnFirstBytes(cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new BackupService(sink).RunAsync(Request(db, BackupLocation.Parse($"s3://{bucket}/db")) with { Compression = CompressionKind.None }, cts.Token));
        Assert.True(sink.SawBytes);
        Assert.True(sink.SawCompleted, "the progress record must be completed even when the backup is stopped");
        using var repo = BackupRepository.Open(BackupLocation.Parse($"s3://{bucket}"), TestServers.S3Options);
        Assert.Empty(await S3RepositoryTests.ToListAsync(repo.ListAsync("", CancellationToken.None)));
        Assert.Empty(await BackupCatalog.FindAsync(new BackupQuery { Location = BackupLocation.Parse($"s3://{bucket}/db"), S3 = TestServers.S3Options }, CancellationToken.None));
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        Assert.Empty(await S3RepositoryTests.ListUploadsAsync(client, bucket)); // the multipart upload was aborted, not left behind
    }

    [Fact]
    public async Task TwoBackupsInOneSecondGetDistinctNames()
    {
        var db = await TestServers.NewDatabaseAsync("create table t (x int); insert into t values (1);");
        var dir = Directory.CreateTempSubdirectory("clutterdr-xt-").FullName;
        var svc = new BackupService(NullHost.Instance);
        // Four at once race for the same second's name; a folder must give each its own.
        var racing = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => svc.RunAsync(Request(db, BackupLocation.ForFolder(dir)), CancellationToken.None)));
        var c = await svc.RunAsync(Request(db, BackupLocation.ForFolder(dir)), CancellationToken.None);
        Assert.Equal(5, racing.Select(r => r.Location).Append(c.Location).Distinct().Count());
        var listed = await BackupCatalog.FindAsync(new BackupQuery { Location = BackupLocation.ForFolder(dir) }, CancellationToken.None);
        Assert.Equal(5, listed.Count);
        Assert.Equal(c.Location, listed[0].Location); // newest first
    }

    [Fact]
    public async Task UnknownTableFailsBeforeAnythingIsWritten()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var dir = Directory.CreateTempSubdirectory("clutterdr-xt-").FullName;
        var e = await Assert.ThrowsAsync<ClutterException>(() =>
            new BackupService(NullHost.Instance).RunAsync(Request(db, BackupLocation.ForFolder(dir)) with { Tables = new[] { "nope" } }, CancellationToken.None));
        Assert.Equal("TableNotFound", e.ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    private sealed class CancelOnFirstBytes : ITestHost
    {
        private readonly CancellationTokenSource _cts;
        public CancelOnFirstBytes(CancellationTokenSource cts) => _cts = cts;
        public bool SawBytes { get; private set; }
        public bool SawCompleted { get; private set; }
        public void Progress(ProgressUpdate update)
        {
            if (update.Completed) SawCompleted = true;
            if (!update.Completed && update.Done > 0) { SawBytes = true; _cts.Cancel(); }
        }
        public void Verbose(string message) { }
        public void Warning(string message) { }
    }
}
