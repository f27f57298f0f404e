using ClutterDR.Sync;

namespace ClutterDR.Tests;

/// <summary>The sync planner is pure: listings in, actions out. No server, no folder.</summary>
public class SyncPlanTests
{
    private static readonly DateTime T0 = new(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);

    private static SyncEntry File(string key, long size, DateTime? modified = null) => new(key, size, modified ?? T0);
    private static SyncEntry Obj(string key, long size, DateTime? written = null, string? etag = null) =>
        new(key, size, written ?? T0, ModifiedIsWriteTime: true, Md5: SyncEntry.Md5FromETag(etag));

    private static Dictionary<string, SyncActionKind> Actions(IEnumerable<SyncPlanItem> plan) => plan.ToDictionary(i => i.Key, i => i.Action);

    [Fact]
    public void NewKeysAreCopiedChangedSizesUpdatedAndEqualOnesSkipped()
    {
        var plan = SyncPlanner.Plan(
            new[] { File("a", 1), File("b/c", 2), File("d", 3) },
            new[] { Obj("a", 1, T0.AddMinutes(1)), Obj("d", 4, T0.AddMinutes(1)), Obj("extra", 5) },
            new SyncPlanOptions());
        Assert.Equal(new Dictionary<string, SyncActionKind> { ["a"] = SyncActionKind.Skip, ["b/c"] = SyncActionKind.Copy, ["d"] = SyncActionKind.Update }, Actions(plan));
        Assert.Equal(new[] { "a", "b/c", "d" }, plan.Select(i => i.Key)); // ordinal order, extras left alone without -Delete
    }

    [Fact]
    public void DeleteRemovesExactlyTheExtrasThatPassTheFilters()
    {
        var plan = SyncPlanner.Plan(
            new[] { File("keep", 1) },
            new[] { Obj("keep", 1, T0.AddSeconds(5)), Obj("gone.txt", 2), Obj("also/gone.txt", 3), Obj("cache/x.tmp", 4) },
            new SyncPlanOptions { Delete = true, Exclude = new[] { "*.tmp" } });
        Assert.Equal(new[] { "also/gone.txt", "gone.txt" }, plan.Where(i => i.Action == SyncActionKind.Delete).Select(i => i.Key));
        Assert.DoesNotContain(plan, i => i.Key == "cache/x.tmp");
    }

    [Fact]
    public void FileNewerThanTheObjectIsUpdatedOlderOrSameSecondIsNot()
    {
        var plan = SyncPlanner.Plan(
            new[] { File("newer", 1, T0.AddMinutes(5)), File("older", 1, T0.AddMinutes(-5)), File("samesecond", 1, T0.AddMilliseconds(700)) },
            new[] { Obj("newer", 1, T0), Obj("older", 1, T0), Obj("samesecond", 1, T0) },
            new SyncPlanOptions());
        Assert.Equal(SyncActionKind.Update, Actions(plan)["newer"]);
        Assert.Equal(SyncActionKind.Skip, Actions(plan)["older"]);
        // Changed in the second after the upload: LastModified cannot tell, the kept time can.
        var same = plan.Single(i => i.Key == "samesecond");
        Assert.True(same.NeedsDetails);
        var kept = same.Destination! with { ModifiedUtc = T0.AddMilliseconds(700), ModifiedIsWriteTime = false, DetailsLoaded = true };
        Assert.Equal(SyncActionKind.Skip, SyncPlanner.Resolve(same, same.Source! with { DetailsLoaded = true }, kept, SyncCompareMode.Default).Action);
        var older = same.Destination! with { ModifiedUtc = T0.AddMilliseconds(200), ModifiedIsWriteTime = false, DetailsLoaded = true };
        Assert.Equal(SyncActionKind.Update, SyncPlanner.Resolve(same, same.Source! with { DetailsLoaded = true }, older, SyncCompareMode.Default).Action);
    }

    [Fact]
    public void PlainMd5ETagsDecideBetweenTwoBuckets()
    {
        const string md5a = "\"0cc175b9c0f1b6a831c399e269772661\"";
        const string md5b = "\"92eb5ffee6ae2fec3ad71c777531578f\"";
        var plan = SyncPlanner.Plan(
            new[] { Obj("same", 1, T0.AddDays(1), md5a), Obj("changed", 1, T0.AddDays(-1), md5a), Obj("multipart", 1, T0.AddDays(1), "\"abc-2\"") },
            new[] { Obj("same", 1, T0, md5a), Obj("changed", 1, T0, md5b), Obj("multipart", 1, T0, md5a) },
            new SyncPlanOptions());
        Assert.Equal(SyncActionKind.Skip, Actions(plan)["same"]);       // newer source, same content
        Assert.Equal(SyncActionKind.Update, Actions(plan)["changed"]);  // older source, other content
        Assert.Equal(SyncActionKind.Update, Actions(plan)["multipart"]); // no MD5: source written after the copy
    }

    [Fact]
    public void S3SourceToFolderNeedsTheKeptTimeUnlessTheFileHasTheObjectsTime()
    {
        var plan = SyncPlanner.Plan(
            new[] { Obj("a", 1, T0), Obj("b", 1, T0) },
            new[] { File("a", 1, T0), File("b", 1, T0.AddDays(-3)) },
            new SyncPlanOptions { DestinationIsFolder = true });
        Assert.Equal(SyncActionKind.Skip, Actions(plan)["a"]);
        var b = plan.Single(i => i.Key == "b");
        Assert.True(b.NeedsDetails);

        // The object's metadata keeps the file's time: nothing to do. Without it: copy.
        var kept = b.Source! with { ModifiedUtc = T0.AddDays(-3), ModifiedIsWriteTime = false, DetailsLoaded = true };
        Assert.Equal(SyncActionKind.Skip, SyncPlanner.Resolve(b, kept, b.Destination! with { DetailsLoaded = true }, SyncCompareMode.Default).Action);
        var none = b.Source! with { DetailsLoaded = true };
        Assert.Equal(SyncActionKind.Update, SyncPlanner.Resolve(b, none, b.Destination! with { DetailsLoaded = true }, SyncCompareMode.Default).Action);
    }

    [Fact]
    public void SizeOnlyIgnoresTimesAndChecksumComparesContent()
    {
        var src = new[] { File("a", 1, T0.AddDays(1)), File("b", 2, T0) };
        var dst = new[] { Obj("a", 1, T0, "\"0cc175b9c0f1b6a831c399e269772661\""), Obj("b", 3, T0) };
        Assert.Equal(SyncActionKind.Skip, Actions(SyncPlanner.Plan(src, dst, new SyncPlanOptions { Mode = SyncCompareMode.SizeOnly }))["a"]);
        Assert.Equal(SyncActionKind.Update, Actions(SyncPlanner.Plan(src, dst, new SyncPlanOptions { Mode = SyncCompareMode.SizeOnly }))["b"]);

        var checksum = SyncPlanner.Plan(src, dst, new SyncPlanOptions { Mode = SyncCompareMode.Checksum });
        var a = checksum.Single(i => i.Key == "a");
        Assert.True(a.NeedsDetails); // the file must be hashed
        Assert.Equal(SyncActionKind.Update, checksum.Single(i => i.Key == "b").Action); // sizes differ: no hashing needed
        var hashed = a.Source! with { Md5 = "0cc175b9c0f1b6a831c399e269772661", DetailsLoaded = true };
        Assert.Equal(SyncActionKind.Skip, SyncPlanner.Resolve(a, hashed, a.Destination! with { DetailsLoaded = true }, SyncCompareMode.Checksum).Action);
        var other = a.Source! with { Md5 = "ffffffffffffffffffffffffffffffff", DetailsLoaded = true };
        Assert.Equal(SyncActionKind.Update, SyncPlanner.Resolve(a, other, a.Destination! with { DetailsLoaded = true }, SyncCompareMode.Checksum).Action);
    }

    [Fact]
    public void IncludeAndExcludeWildcardsMatchTheWholeKey()
    {
        var src = new[] { File("img/a.jpg", 1), File("img/thumbs/a.jpg", 1), File("doc/readme.TXT", 1), File("img/b.png", 1) };
        var plan = SyncPlanner.Plan(src, Array.Empty<SyncEntry>(),
            new SyncPlanOptions { Include = new[] { "*.jpg", "*.txt" }, Exclude = new[] { "img/thumbs/*" } });
        Assert.Equal(new[] { "doc/readme.TXT", "img/a.jpg" }, plan.Select(i => i.Key));
        Assert.True(new KeyFilter(new[] { "file[0-9].bin" }, null).Matches("file7.bin"));
        Assert.False(new KeyFilter(new[] { "file[0-9].bin" }, null).Matches("fileX.bin"));
        Assert.True(new KeyFilter(new[] { "a`*b" }, null).Matches("a*b"));
        Assert.False(new KeyFilter(new[] { "a`*b" }, null).Matches("axb"));
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("a/../../escape.txt")]
    [InlineData("x/..")]
    [InlineData("./a")]
    [InlineData("/etc/passwd")]
    [InlineData("..\\windows.txt")]
    [InlineData("C:/drive.txt")]
    [InlineData("c:drive.txt")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("bell\u0007.txt")]
    [InlineData("nul\0.txt")]
    public void KeysThatLeaveTheFolderAreRefusedEverywhere(string key)
    {
        Assert.NotNull(SyncPlanner.UnsafeKeyReason(key, windowsNames: false));
        var plan = SyncPlanner.Plan(new[] { File(key, 1), File("fine.txt", 1) }, Array.Empty<SyncEntry>(), new SyncPlanOptions { DestinationIsFolder = true });
        Assert.NotNull(plan.Single(i => i.Key == key).Refusal);
        Assert.Null(plan.Single(i => i.Key == "fine.txt").Refusal);
    }

    [Theory]
    [InlineData("bad|name.txt")]
    [InlineData("what?.txt")]
    [InlineData("dir/CON")]
    [InlineData("lpt1.txt")]
    [InlineData("trailing.")]
    [InlineData("photos/12:30.jpg")]
    public void WindowsRulesAlsoRefuseWhatWindowsCannotStore(string key)
    {
        Assert.NotNull(SyncPlanner.UnsafeKeyReason(key, windowsNames: true));
        Assert.Null(SyncPlanner.UnsafeKeyReason(key, windowsNames: false));
    }

    [Theory]
    [InlineData("media/2026/ñandú photo (1).jpg")]
    [InlineData("日本語/ファイル.txt")]
    [InlineData(".hidden/..dots..txt")]
    [InlineData("a..b/c")]
    public void OrdinaryNamesAreSafe(string key) => Assert.Null(SyncPlanner.UnsafeKeyReason(key, windowsNames: true));

    [Fact]
    public void UnsafeKeysAreOnlyCheckedForFolderDestinations()
    {
        var plan = SyncPlanner.Plan(new[] { Obj("a\\b", 1) }, Array.Empty<SyncEntry>(), new SyncPlanOptions { DestinationIsFolder = false });
        Assert.Null(Assert.Single(plan).Refusal);
    }

    [Fact]
    public void DirectoryMarkersAreIgnored()
    {
        var plan = SyncPlanner.Plan(new[] { Obj("photos/", 0), Obj("photos/a.jpg", 3) }, Array.Empty<SyncEntry>(),
            new SyncPlanOptions { DestinationIsFolder = true });
        Assert.Equal("photos/a.jpg", Assert.Single(plan).Key);
    }

    [Theory]
    [InlineData("\"5d41402abc4b2a76b9719d911017c592\"", "5d41402abc4b2a76b9719d911017c592")]
    [InlineData("5D41402ABC4B2A76B9719D911017C592", "5d41402abc4b2a76b9719d911017c592")]
    [InlineData("\"5d41402abc4b2a76b9719d911017c592-3\"", null)]
    [InlineData("\"not-an-md5\"", null)]
    [InlineData(null, null)]
    public void OnlyPlainMd5ETagsCountAsChecksums(string? etag, string? md5) => Assert.Equal(md5, SyncEntry.Md5FromETag(etag));

    [Fact]
    public void KeptModificationTimeRoundTrips()
    {
        var t = new DateTime(2025, 3, 4, 5, 6, 7, DateTimeKind.Utc).AddTicks(1234567);
        Assert.Equal(t, SyncEntry.ParseMtime(SyncEntry.FormatMtime(t)));
        Assert.Equal(new DateTime(2023, 11, 14, 22, 13, 20, DateTimeKind.Utc), SyncEntry.ParseMtime("1700000000"));
        Assert.Null(SyncEntry.ParseMtime("yesterday-ish"));
        Assert.Null(SyncEntry.ParseMtime(null));
    }
}
