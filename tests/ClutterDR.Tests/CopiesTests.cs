using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.FaultProxy;
using ClutterDR.Repository;
using ClutterDR.Restore;
using ClutterDR.Storage;

namespace ClutterDR.Tests;

/// <summary>
/// Two copies from one dump (issue 11 item 11): the database read once, the same stored bytes written to an S3
/// prefix (Ceph RGW, through the fault proxy so that one copy can be made to fail for real) and to a folder.
/// </summary>
public class CopiesTests
{
    // About 11 MB of dump, stored uncompressed: three 5 MiB parts on S3.
    private const string Schema = "create table big as select g, md5(g::text) || md5((g * 7)::text) as t from generate_series(1, 150000) g;";

    private static BackupRequest Request(string database, S3Options s3, BackupLocation first, params BackupLocation[] more) => new()
    {
        Connection = PgConnectionSettings.Parse(TestServers.PgUrl(database)),
        Destination = first,
        Copies = more,
        S3 = s3,
        Compression = CompressionKind.None,
        Upload = new S3UploadOptions { InitialPartSize = 5 << 20, PartsInFlight = 2 },
    };

    private static async Task<List<string>> KeysAsync(string bucket)
    {
        using var repo = BackupRepository.Open(BackupLocation.Parse($"s3://{bucket}"), TestServers.S3Options);
        return (await S3RepositoryTests.ToListAsync(repo.ListAsync("", CancellationToken.None))).Select(e => e.Key).ToList();
    }

    private static async Task AssertNoUploadsAsync(string bucket)
    {
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        Assert.Empty(await S3RepositoryTests.ListUploadsAsync(client, bucket));
    }

    private static async Task AssertRestoresAsync(BackupInfo backup)
    {
        var result = await new RestoreService(NullHost.Instance).RunAsync(new RestoreRequest
        {
            Target = PgConnectionSettings.Parse(TestServers.PgUrl("xt_c" + Guid.NewGuid().ToString("N")[..10])),
            Backup = BackupLocation.Parse(backup.Location),
            S3 = TestServers.S3Options,
            CreateDatabase = true,
        }, CancellationToken.None);
        Assert.True(result!.Verified);
        Assert.Equal(150000, result.Tables.Single(t => t.Name == "big").ActualRows);
    }

    [Fact]
    public async Task OneDumpTwoCopiesSameBytesEachWithItsManifest()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var bucket = await TestServers.NewBucketAsync();
        var folder = Directory.CreateTempSubdirectory("clutterdr-xt-copies-").FullName;
        var outcome = await new BackupService(NullHost.Instance).RunAllAsync(
            Request(db, TestServers.S3Options, BackupLocation.Parse($"s3://{bucket}/offsite"), BackupLocation.ForFolder(folder)), CancellationToken.None);

        Assert.True(outcome.MinimumMet);
        Assert.Empty(outcome.FailedCopies);
        Assert.Equal(2, outcome.Backups.Count);
        var (s3, local) = (outcome.Backups[0], outcome.Backups[1]);
        Assert.StartsWith($"s3://{bucket}/offsite/", s3.Location);
        Assert.StartsWith(folder, local.Location);
        Assert.Equal(s3.Sha256, local.Sha256);           // the same stored bytes
        Assert.Equal(s3.SizeBytes, local.SizeBytes);
        Assert.Equal(s3.CreatedUtc, local.CreatedUtc);   // one dump
        Assert.True(s3.SizeBytes > 10 << 20, "several parts");
        foreach (var (location, copy) in new[] { (BackupLocation.Parse($"s3://{bucket}/offsite"), s3), (BackupLocation.ForFolder(folder), local) })
        {
            var listed = await BackupCatalog.FindAsync(new BackupQuery { Location = location, S3 = TestServers.S3Options }, CancellationToken.None);
            Assert.Equal(copy.Location, Assert.Single(listed).Location);
            await AssertRestoresAsync(copy);
        }
        await AssertNoUploadsAsync(bucket);
    }

    [Fact]
    public async Task ACopyThatFailsMidStreamLeavesNoTraceAndTheOtherCommitsWhenOneIsEnough()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var bucket = await TestServers.NewBucketAsync();
        var folder = Directory.CreateTempSubdirectory("clutterdr-xt-copies-").FullName;
        using var proxy = FaultProxyTests.NewProxy();
        proxy.AddRule(new FaultRule { Method = "PUT", Query = "partNumber=2&uploadId", Status = 500, ErrorCode = "InternalError" });
        var sink = new CollectingSink();
        var outcome = await new BackupService(sink).RunAllAsync(
            Request(db, RetryPolicyTests.Via(proxy, maxRetries: 0), BackupLocation.Parse($"s3://{bucket}/offsite"), BackupLocation.ForFolder(folder)) with { MinimumCopies = 1 },
            CancellationToken.None);

        Assert.True(outcome.MinimumMet);
        var kept = Assert.Single(outcome.Backups);
        Assert.StartsWith(folder, kept.Location);
        var failed = Assert.Single(outcome.FailedCopies);
        Assert.Contains(bucket, failed.Message);
        Assert.Contains(sink.Warnings, w => w.Contains($"s3://{bucket}/offsite", StringComparison.Ordinal) && w.Contains("dropped", StringComparison.Ordinal));
        // Nothing at the failed destination: no object, no manifest, no claim, no multipart upload.
        Assert.Empty(await KeysAsync(bucket));
        await AssertNoUploadsAsync(bucket);
        await AssertRestoresAsync(kept);
    }

    [Fact]
    public async Task WhenFewerThanTheMinimumCanCommitNothingIsKeptAnywhere()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var bucket = await TestServers.NewBucketAsync();
        var folder = Directory.CreateTempSubdirectory("clutterdr-xt-copies-").FullName;
        using var proxy = FaultProxyTests.NewProxy();
        proxy.AddRule(new FaultRule { Method = "PUT", Query = "partNumber=2&uploadId", Status = 500, ErrorCode = "InternalError" });
        var e = await Assert.ThrowsAsync<ClutterException>(() => new BackupService(NullHost.Instance).RunAllAsync(
            Request(db, RetryPolicyTests.Via(proxy, maxRetries: 0), BackupLocation.ForFolder(folder), BackupLocation.Parse($"s3://{bucket}/offsite")),
            CancellationToken.None));

        Assert.Equal("TooFewCopies", e.ErrorId);
        Assert.Contains("1 of 2", e.Message);
        Assert.Empty(await KeysAsync(bucket));
        await AssertNoUploadsAsync(bucket);
        Assert.Empty(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task AnUnreachableCopyIsDroppedBeforeTheDumpStarts()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var folder = Directory.CreateTempSubdirectory("clutterdr-xt-copies-").FullName;
        var missing = "xt-missing-" + Guid.NewGuid().ToString("N")[..8];
        var outcome = await new BackupService(NullHost.Instance).RunAllAsync(
            Request(db, TestServers.S3Options, BackupLocation.ForFolder(folder), BackupLocation.Parse($"s3://{missing}/db")) with { MinimumCopies = 1 },
            CancellationToken.None);
        Assert.Single(outcome.Backups);
        Assert.Equal("DestinationNotFound", Assert.Single(outcome.FailedCopies).ErrorId);
    }

    [Fact]
    public async Task TheSameDestinationTwiceOrAnImpossibleMinimumIsRefusedBeforeAnythingHappens()
    {
        var folder = BackupLocation.ForFolder(Directory.CreateTempSubdirectory("clutterdr-xt-copies-").FullName);
        var svc = new BackupService(NullHost.Instance);
        var twice = await Assert.ThrowsAsync<ClutterException>(() => svc.RunAllAsync(Request("postgres", TestServers.S3Options, folder, folder), CancellationToken.None));
        Assert.Equal("DuplicateDestination", twice.ErrorId);
        var three = await Assert.ThrowsAsync<ClutterException>(() => svc.RunAllAsync(
            Request("postgres", TestServers.S3Options, folder, BackupLocation.Parse("s3://xt-any/db")) with { MinimumCopies = 3 }, CancellationToken.None));
        Assert.Equal("InvalidMinimumCopies", three.ErrorId);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    private sealed class CollectingSink : ITestHost
    {
        public List<string> Warnings { get; } = new();
        public void Progress(ProgressUpdate update) { }
        public void Verbose(string message) { }
        public void Warning(string message) { lock (Warnings) Warnings.Add(message); }
    }
}
