using ClutterDR.Catalog;
using ClutterDR.Storage;
using ClutterDR.Streams;
using ClutterDR.Verify;

namespace ClutterDR.Tests;

/// <summary>
/// The age check must not read every manifest: all manifests but the newest are garbage here, so a
/// check that read them would report them as damaged.
/// </summary>
public class ListingScaleTests
{
    private static byte[] ValidManifest(BackupName name) => new BackupManifest
    {
        Tool = "test", Database = "clutter", Format = DumpFormat.Custom, Compression = CompressionKind.Zstd,
        DataObject = name.FileName, RawBytes = 1, StoredBytes = 1, Sha256 = new string('0', 64),
        StartedUtc = name.CreatedUtc, CompletedUtc = name.CreatedUtc,
    }.ToJson();

    [Fact]
    public async Task TenThousandBackupsInAFolderReadOnlyTheNewestManifest()
    {
        var dir = Directory.CreateTempSubdirectory("clutterdr-10k-").FullName;
        var folder = Path.Combine(dir, "clutter");
        Directory.CreateDirectory(folder);
        var start = DateTime.UtcNow.AddHours(-10_001);
        BackupName? newest = null;
        for (var i = 0; i < 10_000; i++)
        {
            var name = new BackupName("clutter", start.AddHours(i), 1, "dump.zst");
            File.WriteAllText(Path.Combine(folder, name.FileName), "x");
            File.WriteAllText(Path.Combine(folder, name.ManifestFileName), "{ damaged");
            newest = name;
        }
        File.WriteAllBytes(Path.Combine(folder, newest!.ManifestFileName), ValidManifest(newest));
        var host = new ProblemHost();
        var result = (await BackupAgeService.CheckAsync(new BackupAgeQuery
        {
            Location = BackupLocation.ForFolder(dir), MaxAge = TimeSpan.FromHours(3), Host = host,
        }, CancellationToken.None)).Single();
        var damaged = host.Problems.Count;
        Assert.Equal(0, damaged);
        Assert.True(result.Healthy);
        Assert.EndsWith(newest.FileName, result.Latest);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task PagedS3ListingFindsTheNewestWithoutReadingTheOthers()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        var start = DateTime.UtcNow.AddDays(-30);
        var names = Enumerable.Range(0, 1_100).Select(i => new BackupName("clutter", start.AddMinutes(i * 7), 1, "dump.zst")).ToList();
        // More than 1,000 keys, so the listing spans pages.
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(names.Take(names.Count - 1).Select(async n =>
        {
            await gate.WaitAsync();
            try
            {
                await client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest
                {
                    BucketName = bucket, Key = "db/" + n.ManifestKey, ContentBody = "{ damaged", UseChunkEncoding = false,
                });
            }
            finally { gate.Release(); }
        }));
        var newest = names[^1];
        await client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest
        {
            BucketName = bucket, Key = "db/" + newest.ManifestKey, InputStream = new MemoryStream(ValidManifest(newest)), UseChunkEncoding = false,
        });
        var host = new ProblemHost();
        var result = (await BackupAgeService.CheckAsync(new BackupAgeQuery
        {
            Location = BackupLocation.Parse($"s3://{bucket}/db"), S3 = TestServers.S3Options, MaxAge = TimeSpan.FromDays(30), Host = host,
        }, CancellationToken.None)).Single();
        var damaged = host.Problems.Count;
        Assert.Equal(0, damaged);
        Assert.Equal($"s3://{bucket}/db/{newest.Key}", result.Latest);
        Assert.True(result.Healthy);
    }
}
