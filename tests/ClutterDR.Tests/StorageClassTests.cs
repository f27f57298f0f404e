using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Storage;
using ClutterDR.Sync;

namespace ClutterDR.Tests;

/// <summary>
/// Storage classes: which refusals mean "this endpoint does not take that class" (pure logic), and
/// that archive classes leave the manifest readable (against the real S3 test server, which keeps
/// and reports the class of each object).
/// </summary>
public class StorageClassTests
{
    private static AmazonS3Exception Answer(string code, string message = "", HttpStatusCode status = HttpStatusCode.BadRequest) =>
        new(message, ErrorType.Sender, code, "request-id", status);

    [Fact]
    public void CephInvalidArgumentWithAnEmptyMessageIsARefusedStorageClass()
    {
        // Ceph RGW without the class configured: 400 InvalidArgument, no message at all.
        var e = Assert.IsType<ClutterException>(S3Errors.Map(Answer("InvalidArgument"), "s3://b/db/x.dump.zst", forWrite: true, storageClass: "GLACIER"));
        Assert.Equal("StorageClassRejected", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Equal("s3://b/db/x.dump.zst", e.Target);
        Assert.Contains("'GLACIER'", e.Message);
        Assert.Contains("InvalidArgument", e.Message);
        Assert.Contains("-StorageClass", e.Message);
        Assert.True(S3Errors.IsStorageClassRefusal(Answer("InvalidArgument"), "STANDARD_IA"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("STANDARD")]
    [InlineData("standard")]
    public void InvalidArgumentToARequestWithoutAClassIsNotAStorageClassRefusal(string? storageClass)
    {
        // S3 answers InvalidArgument to many bad arguments: only a non-STANDARD class makes it the class's fault.
        var e = Assert.IsType<ClutterException>(S3Errors.Map(Answer("InvalidArgument", "Part number must be an integer between 1 and 10000"), "s3://b/k", true, storageClass));
        Assert.Equal("S3RequestFailed", e.ErrorId);
        Assert.False(S3Errors.IsStorageClassRefusal(Answer("InvalidArgument"), storageClass));
    }

    [Fact]
    public void AnErrorThatNamesTheStorageClassHeaderIsARefusalWhateverTheCode()
    {
        Assert.True(S3Errors.IsStorageClassRefusal(Answer("InvalidArgument", "Invalid x-amz-storage-class header"), null));
        Assert.True(S3Errors.IsStorageClassRefusal(Answer("InvalidStorageClass", "The storage class you specified is not valid"), null));
        Assert.True(S3Errors.IsStorageClassRefusal(Answer("InvalidRequest", "This storage class is not supported"), null));
        Assert.False(S3Errors.IsStorageClassRefusal(Answer("InvalidRequest", "Missing required header"), "GLACIER"));
        // What the Sync executor stops on and Backup reports is one and the same mapping.
        Assert.Equal("StorageClassRejected", ((ClutterException)S3Errors.Map(Answer("InvalidStorageClass"), "s3://b/k", true)).ErrorId);
    }

    [Theory]
    [InlineData("GLACIER", null)]
    [InlineData("DEEP_ARCHIVE", null)]
    [InlineData("deep_archive", null)]
    [InlineData("GLACIER_IR", "GLACIER_IR")]
    [InlineData("STANDARD_IA", "STANDARD_IA")]
    [InlineData("ONEZONE_IA", "ONEZONE_IA")]
    [InlineData("INTELLIGENT_TIERING", "INTELLIGENT_TIERING")]
    [InlineData(null, null)]
    public void OnlyClassesThatNeedARestoreKeepTheManifestInStandard(string? backupClass, string? manifestClass)
    {
        Assert.Equal(manifestClass, StorageClasses.ForManifest(backupClass));
        Assert.Equal(backupClass is not null && manifestClass is null, StorageClasses.NeedsRestore(backupClass));
    }

    private static async Task<string> ClassOf(IAmazonS3 client, string bucket, string key) =>
        (await client.GetObjectMetadataAsync(bucket, key)).StorageClass?.Value is { Length: > 0 } c ? c : "STANDARD"; // s3rver leaves the header out for STANDARD

    [Fact]
    public async Task GlacierBackupArchivesTheDataButKeepsTheManifestReadable()
    {
        var db = await TestServers.NewDatabaseAsync("create table t as select g from generate_series(1, 100) g;");
        var bucket = await TestServers.NewBucketAsync();
        var info = await new BackupService(NullHost.Instance).RunAsync(new BackupRequest
        {
            Connection = PgConnectionSettings.Parse(TestServers.PgUrl(db)),
            Destination = BackupLocation.Parse($"s3://{bucket}/pg"),
            S3 = TestServers.S3Options,
            StorageClass = "GLACIER",
        }, CancellationToken.None);
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        var dataKey = BackupLocation.Parse(info.Location).Prefix;
        var manifestKey = BackupLocation.Parse(info.ManifestLocation).Prefix;
        Assert.EndsWith(BackupName.ManifestSuffix, manifestKey);
        Assert.Equal("GLACIER", await ClassOf(client, bucket, dataKey));
        Assert.Equal("STANDARD", await ClassOf(client, bucket, manifestKey));

        // STANDARD_IA (read at once) stays on both.
        var ia = await new BackupService(NullHost.Instance).RunAsync(new BackupRequest
        {
            Connection = PgConnectionSettings.Parse(TestServers.PgUrl(db)),
            Destination = BackupLocation.Parse($"s3://{bucket}/ia"),
            S3 = TestServers.S3Options,
            StorageClass = "STANDARD_IA",
        }, CancellationToken.None);
        Assert.Equal("STANDARD_IA", await ClassOf(client, bucket, BackupLocation.Parse(ia.Location).Prefix));
        Assert.Equal("STANDARD_IA", await ClassOf(client, bucket, BackupLocation.Parse(ia.ManifestLocation).Prefix));
    }

    [Fact]
    public async Task SyncToDeepArchiveKeepsBackupManifestsReadable()
    {
        var src = Directory.CreateTempSubdirectory("clutterdr-xt-sc-").FullName;
        Directory.CreateDirectory(Path.Combine(src, "app"));
        File.WriteAllText(Path.Combine(src, "app", "app_20260101T000000Z.dump.zst"), "data");
        File.WriteAllText(Path.Combine(src, "app", "app_20260101T000000Z.dump.zst" + BackupName.ManifestSuffix), "{}");
        var bucket = await TestServers.NewBucketAsync();
        var summary = await new SyncService(new ApproveAll()).RunAsync(new SyncRequest
        {
            Source = BackupLocation.ForFolder(src),
            Destination = BackupLocation.Parse($"s3://{bucket}/offsite"),
            DestinationS3 = TestServers.S3Options,
            StorageClass = "DEEP_ARCHIVE",
        }, CancellationToken.None);
        Assert.Equal(2, summary.Copied);
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        Assert.Equal("DEEP_ARCHIVE", await ClassOf(client, bucket, "offsite/app/app_20260101T000000Z.dump.zst"));
        Assert.Equal("STANDARD", await ClassOf(client, bucket, "offsite/app/app_20260101T000000Z.dump.zst" + BackupName.ManifestSuffix));
    }

    /// <summary>Consents to every change (the ITestHost default) and fails on any problem.</summary>
    private sealed class ApproveAll : ITestHost
    {
        public void Progress(ProgressUpdate update) { }
        public void Verbose(string message) { }
        public void Warning(string message) { }
        ValueTask IEngineHost.ProblemAsync(ClutterException problem) => throw problem;
    }
}
