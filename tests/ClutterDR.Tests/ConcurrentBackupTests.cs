using System.Net;
using PutObjectRequest = Amazon.S3.Model.PutObjectRequest;
using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Restore;
using ClutterDR.Storage;
using ClutterDR.Verify;

namespace ClutterDR.Tests;

/// <summary>A clock that stands still: backups started with it race for one second's name.</summary>
internal sealed class FixedClock : TimeProvider
{
    private readonly DateTimeOffset _now;
    public FixedClock(DateTimeOffset now) => _now = now;
    public override DateTimeOffset GetUtcNow() => _now;
}

/// <summary>
/// Issue 11 item 3 / fault matrix row 13: no lost backup. Backups of one database started in the same second
/// into one location never write the same data key: each is listed, verified and restored.
/// </summary>
public class ConcurrentBackupTests
{
    private const string Schema = """
        create table items (id int primary key, body text);
        insert into items select g, md5(g::text) from generate_series(1, 500) g;
        """;

    private static BackupRequest Request(string database, BackupLocation destination, S3Options? s3 = null) => new()
    {
        Connection = PgConnectionSettings.Parse(TestServers.PgUrl(database)),
        Destination = destination,
        S3 = s3 ?? TestServers.S3Options,
    };

    /// <summary>Five backups started at one instant with one clock second, then each checked end to end.</summary>
    private static async Task<List<BackupInfo>> RaceFiveAsync(BackupLocation destination, S3Options s3)
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var svc = new BackupService(NullHost.Instance, new FixedClock(new DateTimeOffset(2026, 12, 1, 3, 0, 7, 250, TimeSpan.Zero)));
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racing = Enumerable.Range(0, 5).Select(_ => Task.Run(async () =>
        {
            await go.Task;
            return await svc.RunAsync(Request(db, destination, s3), CancellationToken.None);
        })).ToList();
        go.SetResult();
        var infos = (await Task.WhenAll(racing)).ToList();

        Assert.Equal(5, infos.Select(i => i.Location).Distinct().Count());
        Assert.All(infos, i => Assert.Equal(new DateTime(2026, 12, 1, 3, 0, 7, 250, DateTimeKind.Utc), i.CreatedUtc));
        var listed = await BackupCatalog.FindAsync(new BackupQuery { Location = destination, S3 = s3 }, CancellationToken.None);
        Assert.Equal(infos.Select(i => i.Location).Order(), listed.Select(l => l.Location).Order());

        foreach (var info in infos)
        {
            var verification = await new VerificationService(NullHost.Instance)
                .RunAsync(new VerificationRequest { Backup = BackupLocation.Parse(info.Location), S3 = s3 }, CancellationToken.None);
            var failures = verification.Problems;
            Assert.Empty(failures);
            Assert.Equal(VerificationStatus.Passed, verification.Status);
            Assert.Equal(info.Sha256, verification.Backup!.Sha256);

            var target = await TestServers.NewDatabaseAsync();
            var restored = await new RestoreService(NullHost.Instance).RunAsync(new RestoreRequest
            {
                Target = PgConnectionSettings.Parse(TestServers.PgUrl(target)),
                Backup = BackupLocation.Parse(info.Location),
                S3 = s3,
            }, CancellationToken.None);
            Assert.True(restored!.Verified);
            Assert.Equal(500, restored.Tables.Single(t => t.Name == "items").ActualRows);
        }
        return infos;
    }

    private static async Task<List<string>> KeysAsync(BackupRepository repo) =>
        (await S3RepositoryTests.ToListAsync(repo.ListAsync("", CancellationToken.None))).Select(e => e.Key).ToList();

    [Fact]
    public async Task FiveBackupsInOneSecondIntoOneFolderAreFiveRestorableBackups()
    {
        var dir = Directory.CreateTempSubdirectory("clutterdr-xt-").FullName;
        var infos = await RaceFiveAsync(BackupLocation.ForFolder(dir), TestServers.S3Options);
        // A folder claims names: the second's name and -2 ... -5, no random tails.
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, infos.Select(i => BackupName.TryParse(Path.GetFileName(i.Location))!).Select(n => n.Sequence).Order());
        Assert.All(infos, i => Assert.Null(BackupName.TryParse(Path.GetFileName(i.Location))!.Tail));
        var files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Equal(10, files.Count); // five data objects and five manifests: no claim, no .partial left
        Assert.DoesNotContain(files, f => f!.EndsWith(BackupName.ClaimSuffix) || f.EndsWith(".partial"));
    }

    /// <summary>The two S3 servers of the tests: RGW honours If-None-Match (claims), s3rver ignores it (random tails).</summary>
    private static S3Options Server(string server) => server == "rgw" ? TestServers.S3Options : TestServers.S3rverOptions;

    [Theory]
    [InlineData("rgw")]
    [InlineData("s3rver")]
    public async Task FiveBackupsInOneSecondIntoOneS3PrefixAreFiveRestorableBackups(string server)
    {
        var s3 = Server(server);
        var bucket = await TestServers.NewBucketAsync(s3);
        var location = BackupLocation.Parse($"s3://{bucket}/nightly");
        var infos = await RaceFiveAsync(location, s3);
        using var repo = BackupRepository.Open(location, s3);
        var names = infos.Select(i => BackupName.TryParse(i.Location[(i.Location.LastIndexOf('/') + 1)..])!).ToList();
        if (server == "rgw")
        {
            // Claimed with If-None-Match: the second's name and -2 ... -5.
            Assert.True(await repo.CanClaimAsync(CancellationToken.None));
            Assert.Equal(new[] { 1, 2, 3, 4, 5 }, names.Select(n => n.Sequence).Order());
            Assert.All(names, n => Assert.Null(n.Tail));
        }
        else
        {
            // The condition ignored: five random tails on the second's name.
            Assert.False(await repo.CanClaimAsync(CancellationToken.None));
            Assert.All(names, n => Assert.Equal(1, n.Sequence));
            Assert.Equal(5, names.Select(n => n.Tail).Distinct().Count(t => t is not null));
        }
        var keys = await KeysAsync(repo);
        Assert.Equal(10, keys.Count); // no claim object, no probe object left
        Assert.DoesNotContain(keys, k => k.EndsWith(BackupName.ClaimSuffix) || k.Contains("probe"));
    }

    [Fact]
    public async Task AClaimLeftBehindOnlyCostsItsName()
    {
        // A backup killed after claiming its name leaves the empty claim: the next backup of that second
        // takes the next name; the claim is never listed.
        var db = await TestServers.NewDatabaseAsync(Schema);
        var dir = Directory.CreateTempSubdirectory("clutterdr-xt-").FullName;
        var location = BackupLocation.ForFolder(dir);
        var at = new DateTimeOffset(2026, 12, 1, 4, 0, 0, TimeSpan.Zero);
        var first = new BackupName(BackupName.SafeFolderName(db), at.UtcDateTime, 1, "dump.zst");
        using (var repo = BackupRepository.Open(location, TestServers.S3Options))
            Assert.True(await repo.TryClaimAsync(first.ClaimKey, CancellationToken.None));
        var info = await new BackupService(NullHost.Instance, new FixedClock(at)).RunAsync(Request(db, location), CancellationToken.None);
        Assert.Equal(first.WithSequence(2).FileName, Path.GetFileName(info.Location));
        Assert.True(File.Exists(Path.Combine(dir, first.ClaimKey)));
        Assert.Equal(info.Location, Assert.Single(await BackupCatalog.FindAsync(new BackupQuery { Location = location }, CancellationToken.None)).Location);
    }

    [Fact]
    public async Task AFolderClaimGoesToExactlyOneOfManyRacers()
    {
        var dir = Directory.CreateTempSubdirectory("clutterdr-xt-").FullName;
        using var repo = BackupRepository.Open(BackupLocation.ForFolder(dir), TestServers.S3Options);
        Assert.True(await repo.CanClaimAsync(CancellationToken.None));
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () => { await go.Task; return await repo.TryClaimAsync("db/x.dump.claim", CancellationToken.None); })).ToList();
        go.SetResult();
        Assert.Equal(1, (await Task.WhenAll(racers)).Count(won => won));
    }

    [Theory]
    [InlineData("rgw", true)]
    [InlineData("s3rver", false)]
    public async Task TheConditionalWriteProbeTellsWhatTheServerDoes(string server, bool honours)
    {
        // What the server does, asked raw through the SDK: two conditional creates of one key.
        var s3 = Server(server);
        var bucket = await TestServers.NewBucketAsync(s3);
        using var client = S3ClientFactory.Create(s3);
        PutObjectRequest Put() => new() { BucketName = bucket, Key = "raw-probe", ContentBody = "", IfNoneMatch = "*", UseChunkEncoding = false };
        await client.PutObjectAsync(Put());
        bool refusedTheSecond;
        try { await client.PutObjectAsync(Put()); refusedTheSecond = false; }
        catch (Amazon.S3.AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed) { refusedTheSecond = true; }
        Assert.Equal(honours, refusedTheSecond);

        using var repo = BackupRepository.Open(BackupLocation.Parse($"s3://{bucket}/p"), s3);
        Assert.Equal(honours, await repo.CanClaimAsync(CancellationToken.None));
        using var root = BackupRepository.Open(BackupLocation.Parse($"s3://{bucket}"), s3);
        Assert.Equal(new[] { "raw-probe" }, (await KeysAsync(root))); // the probe cleaned up after itself
        if (honours)
        {
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var racers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () => { await go.Task; return await repo.TryClaimAsync("db/x.dump.claim", CancellationToken.None); })).ToList();
            go.SetResult();
            Assert.Equal(1, (await Task.WhenAll(racers)).Count(won => won));
            Assert.False(await repo.TryClaimAsync("db/x.dump.claim", CancellationToken.None));
            await repo.DeleteAsync("db/x.dump.claim", CancellationToken.None);
            Assert.True(await repo.TryClaimAsync("db/x.dump.claim", CancellationToken.None)); // free again once removed
        }
    }

    [Fact]
    public async Task TheProbeRunsOncePerEndpointAndBucketAndAFailedOneIsRetried()
    {
        var key = "test-endpoint " + Guid.NewGuid().ToString("N");
        var calls = 0;
        var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var asking = Enumerable.Range(0, 5).Select(_ => ConditionalWrites.GetOrProbeAsync(key, () => { Interlocked.Increment(ref calls); return gate.Task; })).ToList();
        gate.SetResult(true);
        Assert.All(await Task.WhenAll(asking), Assert.True);
        Assert.True(await ConditionalWrites.GetOrProbeAsync(key, () => { calls++; return Task.FromResult(false); }));
        Assert.Equal(1, calls);

        var failing = "test-endpoint " + Guid.NewGuid().ToString("N");
        await Assert.ThrowsAsync<IOException>(() => ConditionalWrites.GetOrProbeAsync(failing, () => Task.FromException<bool>(new IOException("down"))));
        Assert.False(await ConditionalWrites.GetOrProbeAsync(failing, () => Task.FromResult(false)));
    }

    [Theory]
    [InlineData(412, null, ConditionalWrites.Answer.Taken)]
    [InlineData(409, "ConditionalRequestConflict", ConditionalWrites.Answer.Taken)]
    [InlineData(501, "NotImplemented", ConditionalWrites.Answer.Refused)]
    [InlineData(400, "InvalidArgument", ConditionalWrites.Answer.Refused)]
    [InlineData(400, "NotImplemented", ConditionalWrites.Answer.Refused)]
    [InlineData(400, "RequestTimeout", null)]
    [InlineData(403, "AccessDenied", null)]
    [InlineData(404, "NoSuchBucket", null)]
    [InlineData(409, "BucketAlreadyExists", null)]
    [InlineData(503, "SlowDown", null)]
    public void ClassifiesConditionalWriteAnswers(int status, string? code, ConditionalWrites.Answer? expected) =>
        Assert.Equal(expected, ConditionalWrites.Classify((HttpStatusCode)status, code));

    [Theory]
    [InlineData(ConditionalWrites.Answer.Created, ConditionalWrites.Answer.Taken, true)]    // Amazon S3, Ceph RGW
    [InlineData(ConditionalWrites.Answer.Created, ConditionalWrites.Answer.Created, false)] // the header ignored (s3rver)
    [InlineData(ConditionalWrites.Answer.Refused, null, false)]                             // the header refused
    [InlineData(ConditionalWrites.Answer.Created, ConditionalWrites.Answer.Refused, false)]
    [InlineData(ConditionalWrites.Answer.Taken, ConditionalWrites.Answer.Taken, false)]     // a new key already "taken": not trusted
    public void TrustsClaimsOnlyWhenTheSecondCreateIsRefusedAsTaken(ConditionalWrites.Answer first, ConditionalWrites.Answer? second, bool honoured) =>
        Assert.Equal(honoured, ConditionalWrites.Honoured(first, second));
}
