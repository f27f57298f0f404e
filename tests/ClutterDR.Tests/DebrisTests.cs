using Amazon.S3.Model;
using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Tests;

/// <summary>What interrupted backups leave, found and removed through BackupRepository: real folders, the real S3 server.</summary>
public class DebrisTests
{
    [Theory]
    [InlineData("db/db_20260101T000000Z.dump.zst", "db")]
    [InlineData("db/db_20260101T000000Z-2.sql.gz.gpg.manifest.json", "db")]
    [InlineData("other/db_20260101T000000Z.dump", null)]   // a name of another folder's database
    [InlineData("db_20260101T000000Z.dump", null)]         // not under a database folder
    [InlineData("db/notes.txt", null)]
    [InlineData("a/db/db_20260101T000000Z.dump", null)]
    public void OnlyOurBackupNamesAreDebris(string key, string? folder) => Assert.Equal(folder, DebrisService.FolderOf(key));

    [Fact]
    public async Task FolderPartialFilesOfOneDatabaseOlderThanTheAgeAreFoundAndRemoved()
    {
        var root = Path.Combine(Path.GetTempPath(), "clutterdr-xt-" + Guid.NewGuid().ToString("N")[..8]);
        string Partial(string db, string stamp, double ageHours)
        {
            var p = Path.Combine(root, db, $"{db}_{stamp}.dump.zst.partial");
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            File.WriteAllBytes(p, new byte[77]);
            File.SetLastWriteTimeUtc(p, DateTime.UtcNow.AddHours(-ageHours));
            return p;
        }
        try
        {
            var old = Partial("db", "20250101T000000Z", 25);
            var young = Partial("db", "20250102T000000Z", 1);
            var others = Partial("other", "20250101T000000Z", 25);
            var notOurs = Path.Combine(root, "db", "scratch.partial");
            File.WriteAllText(notOurs, "x");
            File.SetLastWriteTimeUtc(notOurs, DateTime.UtcNow.AddDays(-9));
            File.WriteAllBytes(Path.Combine(root, "db", "db_20250101T000000Z.dump.zst"), new byte[5]); // a complete object: never debris

            using var repo = BackupRepository.Open(BackupLocation.ForFolder(root), TestServers.S3Options);
            var found = await DebrisService.FindAsync(repo, "db", DebrisService.DefaultMinimumAge, CancellationToken.None);
            var d = Assert.Single(found);
            Assert.Equal(DebrisKind.PartialFile, d.Kind);
            Assert.Equal("db/db_20250101T000000Z.dump.zst", d.Key);
            Assert.Equal(old, d.Location);
            Assert.Equal(77, d.Size);
            Assert.InRange(d.StartedUtc, DateTime.UtcNow.AddHours(-25.1), DateTime.UtcNow.AddHours(-24.9));

            Assert.Equal(2, (await DebrisService.FindAsync(repo, "db", TimeSpan.Zero, CancellationToken.None)).Count);
            Assert.Equal(2, (await DebrisService.FindAsync(repo, null, DebrisService.DefaultMinimumAge, CancellationToken.None)).Count);

            await repo.RemoveDebrisAsync(d, CancellationToken.None);
            Assert.False(File.Exists(old));
            Assert.True(File.Exists(young));
            Assert.True(File.Exists(others));
            Assert.True(File.Exists(notOurs));
            Assert.True(File.Exists(Path.Combine(root, "db", "db_20250101T000000Z.dump.zst")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task S3MultipartUploadsOfOneDatabaseAreFoundWithTheirSizeAndAborted()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        async Task<string> StartUpload(string key, int partBytes)
        {
            var id = (await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key })).UploadId;
            await client.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = key, UploadId = id, PartNumber = 1, InputStream = new MemoryStream(new byte[partBytes]) });
            return id;
        }
        var ours = await StartUpload("p/db/db_20250101T000000Z.dump.zst", 6 << 20);
        var others = await StartUpload("p/other/other_20250101T000000Z.dump.zst", 1000);
        var notOurs = await StartUpload("p/db/upload.bin", 1000);
        var outside = await StartUpload("q/db/db_20250101T000000Z.dump.zst", 1000);

        using var repo = BackupRepository.Open(BackupLocation.Parse($"s3://{bucket}/p"), TestServers.S3Options);
        Assert.Empty(await DebrisService.FindAsync(repo, "db", DebrisService.DefaultMinimumAge, CancellationToken.None)); // just initiated: may be running
        var d = Assert.Single(await DebrisService.FindAsync(repo, "db", TimeSpan.Zero, CancellationToken.None));
        Assert.Equal(DebrisKind.MultipartUpload, d.Kind);
        Assert.Equal("db/db_20250101T000000Z.dump.zst", d.Key);
        Assert.Equal($"s3://{bucket}/p/db/db_20250101T000000Z.dump.zst", d.Location);
        Assert.Equal(ours, d.UploadId);
        Assert.Equal(6L << 20, d.Size);
        Assert.InRange(d.StartedUtc, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));

        await repo.RemoveDebrisAsync(d, CancellationToken.None);
        await repo.RemoveDebrisAsync(d, CancellationToken.None); // already gone: nothing to do, no error
        var left = (await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket })).MultipartUploads ?? new List<MultipartUpload>();
        Assert.Equal(new[] { notOurs, others, outside }.Order(), left.Select(u => u.UploadId).Order());
    }
}

/// <summary>A backup whose last write fails keeps nothing: no data object without its manifest.</summary>
public class BackupWriteFailureTests
{
    [Fact]
    public async Task AManifestThatCannotBeWrittenTakesTheDataObjectWithIt()
    {
        var db = await TestServers.NewDatabaseAsync("create table t as select g from generate_series(1, 1000) g;");
        var dir = Directory.CreateTempSubdirectory("clutterdr-xt-").FullName;
        var folder = Path.Combine(dir, db);
        Directory.CreateDirectory(folder);
        // The manifest's temporary name, for every second the backup may start in, is taken by a folder: its write fails.
        var now = DateTime.UtcNow;
        for (var i = -1; i < 60; i++)
            Directory.CreateDirectory(Path.Combine(folder, $"{db}_{now.AddSeconds(i):yyyyMMdd'T'HHmmss'Z'}.dump.zst.manifest.json.partial"));
        var request = new BackupRequest { Connection = PgConnectionSettings.Parse(TestServers.PgUrl(db)), Destination = BackupLocation.ForFolder(dir) };
        await Assert.ThrowsAnyAsync<Exception>(() => new BackupService(NullHost.Instance).RunAsync(request, CancellationToken.None));
        Assert.Empty(Directory.GetFiles(dir, "*", SearchOption.AllDirectories));
        Assert.Empty(await BackupCatalog.FindAsync(new BackupQuery { Location = BackupLocation.ForFolder(dir) }, CancellationToken.None));
    }
}

public class ClaimDebrisTests
{
    [Fact]
    public async Task AClaimLeftByAKilledBackupIsDebrisOnceOldEnoughInAFolderAndOnS3()
    {
        var bucket = await TestServers.NewBucketAsync();
        var folder = Directory.CreateTempSubdirectory("clutterdr-xt-claims-").FullName;
        foreach (var location in new[] { Catalog.BackupLocation.Parse($"s3://{bucket}/db"), Catalog.BackupLocation.ForFolder(folder) })
        {
            using var repo = Repository.BackupRepository.Open(location, TestServers.S3Options);
            var name = new Catalog.BackupName("shop", new DateTime(2026, 11, 1, 2, 0, 0, DateTimeKind.Utc), 1, "dump.zst");
            Assert.True(await repo.TryClaimAsync(name.ClaimKey, CancellationToken.None));
            await repo.PutAsync("shop/notes.claim", new byte[] { 1 }, "text/plain", null, CancellationToken.None); // not one of our names

            // Young: a backup may be holding it right now.
            Assert.Empty(await Repository.DebrisService.FindAsync(repo, "shop", TimeSpan.FromHours(1), CancellationToken.None));
            var found = Assert.Single(await Repository.DebrisService.FindAsync(repo, "shop", TimeSpan.Zero, CancellationToken.None));
            Assert.Equal(DebrisKind.Claim, found.Kind);
            Assert.Equal(name.Key, found.Key);
            Assert.Contains("name claim", Repository.DebrisService.Describe(found));
            await repo.RemoveDebrisAsync(found, CancellationToken.None);
            Assert.False(await repo.ExistsAsync(name.ClaimKey, CancellationToken.None));
            Assert.True(await repo.ExistsAsync("shop/notes.claim", CancellationToken.None));
        }
    }
}
