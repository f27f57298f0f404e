using ClutterDR.Catalog;
using ClutterDR.Streams;

namespace ClutterDR.Tests;

public class BackupLocationTests
{
    [Theory]
    [InlineData("s3://bucket", "bucket", "")]
    [InlineData("s3://bucket/", "bucket", "")]
    [InlineData("s3://bucket/db", "bucket", "db")]
    [InlineData("S3://bucket/a/b/", "bucket", "a/b")]
    public void ParsesS3Locations(string text, string bucket, string prefix)
    {
        var l = BackupLocation.Parse(text);
        Assert.True(l.IsS3);
        Assert.Equal(bucket, l.Bucket);
        Assert.Equal(prefix, l.Prefix);
    }

    [Fact]
    public void ComposesKeysBelowThePrefix()
    {
        Assert.Equal("s3://b/db/x/y.dump", BackupLocation.Parse("s3://b/db").Describe("x/y.dump"));
        Assert.Equal("s3://b/x/y.dump", BackupLocation.Parse("s3://b").Describe("x/y.dump"));
        var folder = BackupLocation.Parse(Path.GetTempPath());
        Assert.Equal(Path.Combine(Path.GetTempPath(), "x", "y.dump"), folder.Describe("x/y.dump"));
    }

    [Theory]
    [InlineData("s3://")]
    [InlineData("s3:///prefix")]
    [InlineData("")]
    [InlineData("gs://bucket/x")]
    public void RejectsBadLocations(string text)
    {
        var e = Assert.Throws<ClutterException>(() => BackupLocation.Parse(text));
        Assert.Equal("InvalidLocation", e.ErrorId);
    }

    [Fact]
    public void SplitsAnObjectLocation()
    {
        var (parent, name) = BackupLocation.Parse("s3://b/db/clutter/clutter_20260101T000000Z.dump.zst").SplitObject();
        Assert.Equal("s3://b/db/clutter", parent.ToString());
        Assert.Equal("clutter_20260101T000000Z.dump.zst", name);
        Assert.Throws<ClutterException>(() => BackupLocation.Parse("s3://b").SplitObject());
    }
}

public class BackupNameTests
{
    [Fact]
    public void NamesSortByTimeAndRoundTrip()
    {
        var t = new DateTime(2026, 11, 25, 2, 0, 5, 123, DateTimeKind.Utc);
        var n = new BackupName("clutter", t, 1, BackupName.ExtensionFor(DumpFormat.Custom, CompressionKind.Zstd, EncryptionKind.None));
        Assert.Equal("clutter/clutter_20261125T020005Z.dump.zst", n.Key);
        Assert.Equal("clutter/clutter_20261125T020005Z.dump.zst.manifest.json", n.ManifestKey);
        var parsed = BackupName.TryParse(n.ManifestFileName)!;
        Assert.Equal("clutter", parsed.DatabaseFolder);
        Assert.Equal(new DateTime(2026, 11, 25, 2, 0, 5, DateTimeKind.Utc), parsed.CreatedUtc);
        Assert.Equal("dump.zst", parsed.Extension);
    }

    [Fact]
    public void SameSecondGetsDistinctOrderedNames()
    {
        var t = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var a = new BackupName("db", t, 1, "sql.gz");
        var b = a.WithSequence(2);
        var c = a.WithSequence(10);
        Assert.NotEqual(a.FileName, b.FileName);
        var list = new[] { c, a, b }.Select(x => BackupName.TryParse(x.FileName)!).OrderBy(x => x).ToList();
        Assert.Equal(new[] { 1, 2, 10 }, list.Select(x => x.Sequence));
    }

    [Fact]
    public void RandomTailsRoundTripAndSortAfterTheSecondsName()
    {
        var t = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var plain = new BackupName("db", t, 1, "dump.zst");
        var tailed = plain.WithTail(BackupName.RandomTail());
        Assert.Matches(@"^db_20260101T000000Z-r[a-z2-7]{6}\.dump\.zst$", tailed.FileName);
        var back = BackupName.TryParse(tailed.ManifestFileName)!;
        Assert.Equal(tailed.Tail, back.Tail);
        Assert.Equal("dump.zst", back.Extension);
        Assert.Equal(1, back.Sequence);
        Assert.Equal(t, back.CreatedUtc);
        Assert.Null(BackupName.TryParse(plain.FileName)!.Tail);
        Assert.Equal(7, BackupName.TryParse(plain.WithSequence(7).FileName)!.Sequence);

        var later = new BackupName("db", t.AddSeconds(1), 1, "dump.zst", "raaaaaa");
        var ordered = new[] { later, tailed, plain.WithSequence(2), plain }.Select(x => BackupName.TryParse(x.FileName)!).OrderBy(x => x).ToList();
        Assert.Equal(new[] { plain.FileName, tailed.FileName, plain.WithSequence(2).FileName, later.FileName }, ordered.Select(x => x.FileName));
        Assert.NotEqual(BackupName.RandomTail(), BackupName.RandomTail());
        Assert.Throws<ArgumentException>(() => plain.WithTail("x1"));
    }

    [Fact]
    public void AClaimIsNotABackup()
    {
        var n = new BackupName("db", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), 3, "sql.gz");
        Assert.Equal("db/db_20260101T000000Z-3.sql.gz.claim", n.ClaimKey);
        Assert.Null(BackupName.TryParse(n.FileName + BackupName.ClaimSuffix));
    }

    [Theory]
    [InlineData("random.txt")]
    [InlineData("db_2026.dump")]
    [InlineData("db_20261125T020005Z.zip")]
    [InlineData("db_20261125T020005Z-rABCDEF.dump")]
    public void IgnoresForeignNames(string name) => Assert.Null(BackupName.TryParse(name));

    [Theory]
    [InlineData("app_20261125T020005Z.tar", BackupKind.Config)]
    [InlineData("app_20261125T020005Z-2.tar.zst.gpg", BackupKind.Config)]
    [InlineData("app_20261125T020005Z.dump.zst", BackupKind.Database)]
    [InlineData("app_20261125T020005Z.sql.gz.gpg", BackupKind.Database)]
    public void AConfigurationBackupIsATar(string name, BackupKind kind) => Assert.Equal(kind, BackupName.TryParse(name)!.Kind);

    [Theory]
    [InlineData("clutter", "clutter")]
    [InlineData("my db/x", "my_db_x")]
    [InlineData("..", "_")]
    [InlineData("Ünïcode", "_n_code")]
    public void MakesSafeFolderNames(string db, string folder) => Assert.Equal(folder, BackupName.SafeFolderName(db));

    [Fact]
    public void ExtensionsTellFormatCompressionAndEncryption()
    {
        Assert.Equal("dump", BackupName.ExtensionFor(DumpFormat.Custom, CompressionKind.None, EncryptionKind.None));
        Assert.Equal("sql.gz", BackupName.ExtensionFor(DumpFormat.Plain, CompressionKind.Gzip, EncryptionKind.None));
        Assert.Equal("dump.zst.gpg", BackupName.ExtensionFor(DumpFormat.Custom, CompressionKind.Zstd, EncryptionKind.OpenPgp));
    }
}

public class BackupManifestTests
{
    private static BackupManifest Sample() => new()
    {
        Tool = "ClutterDR test",
        Database = "clutter",
        Format = DumpFormat.Custom,
        Compression = CompressionKind.Zstd,
        DataObject = "clutter_20260101T000000Z.dump.zst",
        RawBytes = 10,
        StoredBytes = 5,
        Sha256 = new string('a', 64),
        StartedUtc = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        CompletedUtc = new DateTime(2026, 1, 1, 0, 1, 0, DateTimeKind.Utc),
        Tables = { new TableRowCount("public", "users", 3) },
    };

    [Fact]
    public void RoundTrips()
    {
        var json = Sample().ToJson();
        var text = System.Text.Encoding.UTF8.GetString(json);
        Assert.Contains("\"compression\": \"Zstd\"", text);
        var back = BackupManifest.Parse(json, "x");
        Assert.Equal("clutter", back.Database);
        Assert.Equal(DateTimeKind.Utc, back.StartedUtc.Kind);
        Assert.Equal(3, back.Tables.Single().Rows);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"manifestVersion\": 99, \"database\": \"x\", \"dataObject\": \"y\", \"sha256\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}")]
    [InlineData("null")]
    public void RejectsDamagedManifests(string json)
    {
        var e = Assert.Throws<ClutterException>(() => BackupManifest.Parse(System.Text.Encoding.UTF8.GetBytes(json), "s3://b/m.json"));
        Assert.Equal("ManifestInvalid", e.ErrorId);
        Assert.Equal(FailureKind.InvalidData, e.Kind);
        Assert.Equal("s3://b/m.json", e.Target);
    }

    [Fact]
    public void ADamagedManifestSaysSoAndWhatToDoWithTheParserDetailAsAShortTail()
    {
        var e = Assert.Throws<ClutterException>(() => BackupManifest.Parse("{ \"manifestVersion\": 1, oops"u8, "m.json"));
        Assert.Contains("is damaged", e.Message);
        Assert.Contains("another backup", e.Message);
        Assert.DoesNotContain("BytePositionInLine", e.Message);
        Assert.Matches(@"\(JSON error at line 1, byte \d+\)$", e.Message);
    }
}

public class TimeSpanTransformationTests
{
    [Theory]
    [InlineData("48:00:00", 48 * 3600)]
    [InlineData("26:30", 26 * 3600 + 30 * 60)]
    [InlineData("0:00:01", 1)]
    [InlineData("36h", 36 * 3600)]
    [InlineData("2d", 2 * 86400)]
    [InlineData("1d12h", 36 * 3600)]
    [InlineData("90m", 5400)]
    [InlineData("30s", 30)]
    public void ReadsDurationsAsAdminsWriteThem(string text, int seconds)
    {
        Assert.True(ClutterDR.Common.Duration.TryParse(text, out var span));
        Assert.Equal(TimeSpan.FromSeconds(seconds), span);
    }

    [Theory]
    [InlineData("1:75:00")]
    [InlineData("soon")]
    [InlineData("")]
    public void LeavesTheRestToTimeSpan(string text) =>
        Assert.False(ClutterDR.Common.Duration.TryParse(text, out _));
}
