using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Storage;

namespace ClutterDR.Tests;

public class ProgressEstimateTests
{
    [Fact]
    public void APassedEstimateGrowsAheadOfTheBytesDoneAndTheTimeLeftStaysAnEstimate()
    {
        Assert.Equal(1000, ProgressEstimate.Total(400, 1000));         // estimate holds
        Assert.Equal(1000, ProgressEstimate.Total(1000, 1000));        // exactly reached: not passed
        Assert.Equal(2200, ProgressEstimate.Total(2000, 1000));        // passed: done + 10%
        Assert.Null(ProgressEstimate.Total(2000, null));
        var total = ProgressEstimate.Total(2000, 1000);
        var left = ProgressEstimate.Remaining(2000, total, 100);
        Assert.Equal(TimeSpan.FromSeconds(2), left);                   // 200 bytes to go at 100 B/s, not frozen at none
        Assert.Null(ProgressEstimate.Remaining(2000, 1000, 100));      // with the old, passed total there is no ETA
        Assert.Null(ProgressEstimate.Remaining(10, 1000, null));
    }

    [Fact]
    public void ByteProgressNeverReportsMoreDoneThanItsTotal()
    {
        var sink = new ProgressRecordingSink();
        var p = new ByteProgress(sink, "Backing up x", 1000);
        p.Report(500);
        p.Report(5000);
        p.Complete();
        Assert.Equal(1000, sink.Updates[0].Total);
        var done = sink.Updates[^1];
        Assert.True(done.Completed);
        Assert.Equal(5000, done.Done);
        Assert.Equal(5500, done.Total);
    }

    [Fact]
    public void TheDumpEstimateIsThePreviousBackupsRawSizeWhenComparable()
    {
        Assert.Equal(9000, DumpSizeEstimate.ForDump(9000, 4000));
        Assert.Equal(4000, DumpSizeEstimate.ForDump(null, 4000));
        Assert.Equal(4000, DumpSizeEstimate.ForDump(0, 4000));
        Assert.Null(DumpSizeEstimate.ForDump(null, 0));

        var previous = new BackupManifest
        {
            Database = "app", Format = DumpFormat.Custom, RawBytes = 9000,
            Tables = { new TableRowCount("public", "a", 1), new TableRowCount("public", "b", 2) },
        };
        var tables = new[] { ("public", "b"), ("public", "a") };
        Assert.True(DumpSizeEstimate.IsComparable(previous, "app", DumpFormat.Custom, tables));
        Assert.False(DumpSizeEstimate.IsComparable(previous, "app", DumpFormat.Plain, tables));
        Assert.False(DumpSizeEstimate.IsComparable(previous, "other", DumpFormat.Custom, tables));
        Assert.False(DumpSizeEstimate.IsComparable(previous, "app", DumpFormat.Custom, new[] { ("public", "a") }));
    }
}

public class BackupProgressTests
{
    // real[] arrays dump as text at 2-3 times their size on disk, as the fixture's embeddings do.
    private const string Schema = """
        create table embeddings (id int primary key, v real[]);
        insert into embeddings select g, (select array_agg(random()::real) from generate_series(1, 384) where g > 0) from generate_series(1, 3000) g;
        """;

    private static BackupRequest Request(string database, string dir) => new()
    {
        Connection = PgConnectionSettings.Parse(TestServers.PgUrl(database)),
        Destination = BackupLocation.ForFolder(dir),
        S3 = TestServers.S3Options,
    };

    [Fact]
    public async Task ASecondBackupExpectsTheFirstOnesRawSizeAndTheActivityNamesTheWholeObject()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var dir = Directory.CreateTempSubdirectory("clutterdr-xt-").FullName;
        try
        {
            var firstSink = new ProgressRecordingSink();
            var first = await new BackupService(firstSink).RunAsync(Request(db, dir), CancellationToken.None);
            var firstEstimate = firstSink.Updates.First(u => !u.Completed).Total;
            Assert.True(firstEstimate < first.RawSizeBytes, $"the tables' size ({firstEstimate}) should be below the dump's ({first.RawSizeBytes}) for this data");
            var firstDone = firstSink.Updates.Single(u => u.Completed);
            Assert.True(firstDone.Total >= firstDone.Done, $"a passed estimate must grow: total {firstDone.Total}, done {firstDone.Done}");

            var sink = new ProgressRecordingSink();
            var second = await new BackupService(sink).RunAsync(Request(db, dir), CancellationToken.None);
            Assert.Equal(first.RawSizeBytes, sink.Updates.First(u => !u.Completed).Total);
            Assert.Contains(sink.Verbose, m => m.Contains(first.ManifestLocation) && m.Contains("previous backup"));
            var objectName = Path.GetFileName(second.Location);
            // The whole object name, and not the long destination before it that a console would cut it with
            // (the minimal progress view gives the activity half the window's width).
            Assert.All(sink.Updates, u => Assert.Contains(objectName, u.Activity));
            Assert.All(sink.Updates, u => Assert.DoesNotContain(dir, u.Activity));
            Assert.Contains(sink.Verbose, m => m.Contains(second.Location));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

internal sealed class ProgressRecordingSink : ITestHost
{
    private readonly object _lock = new();
    public List<ProgressUpdate> Updates { get; } = new();
    public List<string> Verbose { get; } = new();
    public void Progress(ProgressUpdate update) { lock (_lock) Updates.Add(update); }
    void IEngineHost.Verbose(string message) { lock (_lock) Verbose.Add(message); }
    public void Warning(string message) { }
}
