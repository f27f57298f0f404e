using ClutterDR.Catalog;
using ClutterDR.Repository;
using ClutterDR.Verify;

namespace ClutterDR.Tests;

/// <summary>A location with several databases: listings and the age check count per database.</summary>
public class PerDatabaseCatalogTests
{
    private static void Write(string root, string database, DateTime created, string manifestText = "")
    {
        var name = new BackupName(database, created, 1, "dump.zst");
        Directory.CreateDirectory(Path.Combine(root, database));
        File.WriteAllText(Path.Combine(root, name.Key), "x");
        File.WriteAllBytes(Path.Combine(root, name.ManifestKey), manifestText.Length > 0 ? System.Text.Encoding.UTF8.GetBytes(manifestText) : new BackupManifest
        {
            Tool = "test", Database = database, Format = DumpFormat.Custom, Compression = CompressionKind.Zstd,
            DataObject = name.FileName, RawBytes = 1, StoredBytes = 1, Sha256 = new string('0', 64),
            StartedUtc = name.CreatedUtc, CompletedUtc = name.CreatedUtc,
        }.ToJson());
    }

    [Fact]
    public async Task TheAgeCheckReportsEveryDatabaseAndOnlyTheStaleOneFails()
    {
        var root = Directory.CreateTempSubdirectory("clutterdr-perdb-").FullName;
        var now = DateTime.UtcNow;
        for (var i = 0; i < 5; i++) Write(root, "fresh", now.AddHours(-1 - i * 24));
        for (var i = 0; i < 5; i++) Write(root, "stale", now.AddDays(-3 - i));
        // Older manifests are garbage: the check must read only the newest of each database.
        Write(root, "stale", now.AddDays(-30), "{ damaged");
        Write(root, "fresh", now.AddDays(-30), "{ damaged");
        var host = new ProblemHost();
        var checks = await BackupAgeService.CheckAsync(new BackupAgeQuery
        {
            Location = BackupLocation.ForFolder(root), MaxAge = TimeSpan.FromHours(48), Host = host,
        }, CancellationToken.None);
        var damaged = host.Problems.Count;
        Assert.Equal(0, damaged);
        Assert.Equal(new[] { "fresh", "stale" }, checks.Select(c => c.Database));
        Assert.True(checks[0].Healthy);
        Assert.Null(checks[0].Problems.SingleOrDefault());
        Assert.False(checks[1].Healthy);
        Assert.Equal("BackupTooOld", checks[1].Problems.Single().ErrorId);

        var named = await BackupAgeService.CheckAsync(new BackupAgeQuery
        {
            Location = BackupLocation.ForFolder(root), Databases = new[] { "fresh", "gone" },
        }, CancellationToken.None);
        Assert.Equal(2, named.Count);
        Assert.Null(named.Single(c => c.Database == "fresh").Problems.SingleOrDefault());
        var gone = named.Single(c => c.Database == "gone").Problems.Single();
        Assert.Equal("BackupNotFound", gone.ErrorId);
        Assert.Contains("fresh, stale", gone.Message);
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task NewestCountsPerDatabaseAndResultsStayNewestFirst()
    {
        var root = Directory.CreateTempSubdirectory("clutterdr-perdb-").FullName;
        var now = DateTime.UtcNow;
        for (var i = 0; i < 4; i++) { Write(root, "a", now.AddHours(-i * 2)); Write(root, "b", now.AddHours(-i * 2 - 1)); }
        var latest = await BackupCatalog.FindAsync(new BackupQuery { Location = BackupLocation.ForFolder(root), Newest = 1 }, CancellationToken.None);
        Assert.Equal(new[] { "a", "b" }, latest.Select(b => b.Database));
        var three = await BackupCatalog.FindAsync(new BackupQuery { Location = BackupLocation.ForFolder(root), Newest = 3 }, CancellationToken.None);
        Assert.Equal(6, three.Count);
        Assert.Equal(three.OrderByDescending(b => b.CreatedUtc).Select(b => b.Location), three.Select(b => b.Location));
        var host = new ProblemHost();
        var none = await BackupCatalog.FindAsync(new BackupQuery { Location = BackupLocation.ForFolder(root), Databases = new[] { "c" }, Host = host }, CancellationToken.None);
        var missing = host.Problems;
        Assert.Empty(none);
        Assert.Equal("BackupNotFound", Assert.Single(missing).ErrorId);
        Directory.Delete(root, recursive: true);
    }
}
