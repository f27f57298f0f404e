using System.Security.Cryptography;
using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.FaultProxy;
using ClutterDR.Repository;
using ClutterDR.Restore;
using ClutterDR.Storage;

namespace ClutterDR.Tests;

/// <summary>
/// Rows 1-4 of the fault matrix (issue 11): a backup to S3 through the fault proxy while it injects the
/// fault, then the outcome checked against the server directly, and the backup made before the fault
/// still listed and restorable.
/// </summary>
public class FaultMatrixTests
{
    // About 17 MB of dump, stored uncompressed: four 5 MiB parts.
    private const string Schema = "create table big as select g, md5(g::text) || md5((g * 7)::text) as t from generate_series(1, 240000) g;";

    private sealed record Setup(string Database, string Bucket, BackupLocation Location, S3FaultProxy Proxy, BackupInfo Earlier);

    private static BackupRequest Request(string database, BackupLocation destination, S3Options s3) => new()
    {
        Connection = PgConnectionSettings.Parse(TestServers.PgUrl(database)),
        Destination = destination,
        S3 = s3,
        Compression = CompressionKind.None,
        Upload = new S3UploadOptions { InitialPartSize = 5 << 20, PartsInFlight = 2 },
    };

    /// <summary>A database, a bucket, the proxy, and one good backup made through it before any fault.</summary>
    private static async Task<Setup> SetUpAsync()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var bucket = await TestServers.NewBucketAsync();
        var location = BackupLocation.Parse($"s3://{bucket}/nightly");
        var proxy = FaultProxyTests.NewProxy();
        var earlier = await new BackupService(NullHost.Instance).RunAsync(Request(db, location, RetryPolicyTests.Via(proxy)), CancellationToken.None);
        Assert.True(earlier.SizeBytes > 15 << 20, $"the dump must take several parts, not {earlier.SizeBytes:N0} bytes");
        await Task.Delay(1100); // the next backup gets the next second's name
        proxy.ClearLog();
        return new Setup(db, bucket, location, proxy, earlier);
    }

    private static Task<BackupInfo> BackUpAsync(Setup s) =>
        new BackupService(NullHost.Instance).RunAsync(Request(s.Database, s.Location, RetryPolicyTests.Via(s.Proxy)), CancellationToken.None);

    /// <summary>Every object in the bucket, read directly from the server (not through the proxy).</summary>
    private static async Task<List<string>> KeysAsync(Setup s)
    {
        using var repo = BackupRepository.Open(BackupLocation.Parse($"s3://{s.Bucket}"), TestServers.S3Options);
        return (await S3RepositoryTests.ToListAsync(repo.ListAsync("", CancellationToken.None))).Select(e => e.Key).OrderBy(k => k, StringComparer.Ordinal).ToList();
    }

    private static async Task<string> StoredSha256Async(BackupInfo info)
    {
        var (parent, name) = BackupLocation.Parse(info.Location).SplitObject();
        using var repo = BackupRepository.Open(parent, TestServers.S3Options);
        await using var stream = await repo.OpenReadAsync(name, CancellationToken.None);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream)).ToLowerInvariant();
    }

    /// <summary>Each backup is listed (directly from the server) and restores into a new database with the rows it recorded.</summary>
    private static async Task AssertListedAndRestorableAsync(Setup s, params BackupInfo[] backups)
    {
        var listed = await BackupCatalog.FindAsync(new BackupQuery { Location = s.Location, S3 = TestServers.S3Options }, CancellationToken.None);
        foreach (var b in backups)
        {
            Assert.Contains(listed, l => l.Location == b.Location);
            var target = "xt_r" + Guid.NewGuid().ToString("N")[..10];
            var result = await new RestoreService(NullHost.Instance).RunAsync(new RestoreRequest
            {
                Target = PgConnectionSettings.Parse(TestServers.PgUrl(target)),
                Backup = BackupLocation.Parse(b.Location),
                S3 = TestServers.S3Options,
                CreateDatabase = true,
            }, CancellationToken.None);
            Assert.NotNull(result);
            Assert.True(result!.Verified);
            Assert.Equal(240000, result.Tables.Single(t => t.Name == "big").ActualRows);
        }
    }

    private static async Task AssertNoUploadsLeftAsync(Setup s)
    {
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        Assert.Empty(await S3RepositoryTests.ListUploadsAsync(client, s.Bucket));
    }

    /// <summary>Every data object has its manifest and the other way round: nothing half-written is left.</summary>
    private static void AssertEveryObjectHasItsManifest(List<string> keys)
    {
        var data = keys.Where(k => !k.EndsWith(BackupName.ManifestSuffix, StringComparison.Ordinal)).ToList();
        var manifests = keys.Where(k => k.EndsWith(BackupName.ManifestSuffix, StringComparison.Ordinal)).Select(k => k[..^BackupName.ManifestSuffix.Length]).ToList();
        Assert.Equal(data, manifests);
    }

    [Fact]
    public async Task Row1_SlowDownOnSomePartsIsRetriedAndTheBackupIsWhole()
    {
        var s = await SetUpAsync();
        using var proxy = s.Proxy;
        var part2 = proxy.AddRule(new FaultRule { Method = "PUT", Query = "partNumber=2&uploadId", Times = 2, Status = 503, ErrorCode = "SlowDown" });
        var part4 = proxy.AddRule(new FaultRule { Method = "PUT", Query = "partNumber=4&uploadId", Times = 1, Status = 503, ErrorCode = "SlowDown" });

        var info = await BackUpAsync(s);

        Assert.Equal((2, 1), (part2.Fired, part4.Fired));
        Assert.Equal(info.Sha256, await StoredSha256Async(info));
        AssertEveryObjectHasItsManifest(await KeysAsync(s));
        await AssertNoUploadsLeftAsync(s);
        await AssertListedAndRestorableAsync(s, s.Earlier, info);
    }

    [Fact]
    public async Task Row2_AConnectionCutMidPartIsRetriedAndTheBackupIsWhole()
    {
        var s = await SetUpAsync();
        using var proxy = s.Proxy;
        var cut = proxy.AddRule(new FaultRule { Method = "PUT", Query = "partNumber=2&uploadId", Action = FaultAction.CutRequest, Bytes = 2 << 20, Times = 1 });

        var info = await BackUpAsync(s);

        Assert.Equal(1, cut.Fired);
        Assert.Equal(2, proxy.Count("PUT", "partNumber=2&uploadId")); // the cut one, then one whole
        Assert.Equal(info.Sha256, await StoredSha256Async(info));
        AssertEveryObjectHasItsManifest(await KeysAsync(s));
        await AssertNoUploadsLeftAsync(s);
        await AssertListedAndRestorableAsync(s, s.Earlier, info);
    }

    [Fact]
    public async Task Row3_ACompleteAppliedButAnswered500IsRecognisedOrLeavesNothing()
    {
        var s = await SetUpAsync();
        using var proxy = s.Proxy;
        // Every CompleteMultipartUpload reaches the server (the first one completes the object) and is answered 500.
        var complete = proxy.AddRule(new FaultRule { Method = "POST", Query = "uploadId", Action = FaultAction.ForwardThenRespond, Status = 500, ErrorCode = "InternalError" });

        BackupInfo? info = null;
        ClutterException? failure = null;
        try { info = await BackUpAsync(s); }
        catch (ClutterException e) { failure = e; }

        Assert.Equal(RetryPolicy.DefaultMaxRetries + 1, complete.Fired); // the complete and its retries, all answered 500
        var keys = await KeysAsync(s);
        AssertEveryObjectHasItsManifest(keys); // never a data object without its manifest
        await AssertNoUploadsLeftAsync(s);
        if (info is not null)
        {
            // Recognised: the object under the key had the upload's size and multipart ETag, so the manifest was committed.
            Assert.Equal(info.Sha256, await StoredSha256Async(info));
            await AssertListedAndRestorableAsync(s, s.Earlier, info);
        }
        else
        {
            Assert.Equal("S3RequestFailed", failure!.ErrorId);
            Assert.Contains("nothing was kept", failure.Message);
            Assert.Equal(2, keys.Count); // the earlier backup only
            await AssertListedAndRestorableAsync(s, s.Earlier);
        }
        // Recognised on both test servers: RGW by the multipart ETag the parts make, s3rver (whose ETag is the
        // content's MD5) by the backup's SHA-256 of the object read back.
        Assert.NotNull(info);
    }

    [Fact]
    public async Task Row3_AManifestThatCannotBeWrittenTakesItsDataObjectWithIt()
    {
        var s = await SetUpAsync();
        using var proxy = s.Proxy;
        var manifest = proxy.AddRule(new FaultRule { Method = "PUT", Path = BackupName.ManifestSuffix, Status = 500, ErrorCode = "InternalError" });

        var e = await Assert.ThrowsAsync<ClutterException>(() => BackUpAsync(s));

        Assert.Equal("S3RequestFailed", e.ErrorId);
        Assert.EndsWith(BackupName.ManifestSuffix, (string)e.Target!);
        Assert.Equal(RetryPolicy.DefaultMaxRetries + 1, manifest.Fired);
        var keys = await KeysAsync(s);
        Assert.Equal(2, keys.Count); // the earlier backup only: the new data object went with its manifest
        AssertEveryObjectHasItsManifest(keys);
        await AssertNoUploadsLeftAsync(s);
        await AssertListedAndRestorableAsync(s, s.Earlier);
    }

    [Fact]
    public async Task Row4_TheServerDiesMidUploadAndStaysDown()
    {
        var s = await SetUpAsync();
        using var proxy = s.Proxy;
        proxy.AddRule(new FaultRule { Method = "PUT", Query = "partNumber=2&uploadId", Action = FaultAction.Die });

        var e = await Assert.ThrowsAsync<ClutterException>(() => BackUpAsync(s));

        Assert.Equal("S3Unreachable", e.ErrorId);
        Assert.Equal(FailureKind.ConnectionError, e.Kind);
        Assert.False(proxy.IsRunning);
        var all = await KeysAsync(s);
        // The name's claim could not be given back to a dead server: an empty object that is never listed.
        Assert.True(all.Count(k => k.EndsWith(BackupName.ClaimSuffix, StringComparison.Ordinal)) <= 1);
        var keys = all.Where(k => !k.EndsWith(BackupName.ClaimSuffix, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, keys.Count); // the earlier backup's object and manifest: no new manifest, no data object
        AssertEveryObjectHasItsManifest(keys);
        // The multipart upload the dead server could not abort, and the claim it could not take back, are
        // debris: once the server is back, the next backup (debris age 0 here; 24 h by default) removes both.
        proxy.ClearRules();
        proxy.Start();
        await Task.Delay(1100); // the next backup gets the next second's name
        var next = await new BackupService(NullHost.Instance).RunAsync(
            Request(s.Database, s.Location, RetryPolicyTests.Via(s.Proxy)) with { DebrisMinimumAge = TimeSpan.Zero }, CancellationToken.None);
        var after = await KeysAsync(s);
        Assert.DoesNotContain(after, k => k.EndsWith(BackupName.ClaimSuffix, StringComparison.Ordinal));
        Assert.Equal(4, after.Count);
        AssertEveryObjectHasItsManifest(after);
        await AssertNoUploadsLeftAsync(s);
        await AssertListedAndRestorableAsync(s, s.Earlier, next);
    }
}
