using System.Text;
using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Drill;
using ClutterDR.Repository;
using ClutterDR.Verify;
using Npgsql;

namespace ClutterDR.Tests;

/// <summary>A clock some time ahead of the real one: a drill run "days after" its backup, for the RPO objective.</summary>
internal sealed class ShiftedClock(TimeSpan ahead) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + ahead;
}

/// <summary>
/// The restore drill (Test-ClutterRestore's engine) against real PostgreSQL 15, Ceph RGW and a folder: real backups,
/// real restores into scratch databases, real pg_amcheck, and faults made for real (a manifest rewritten through the
/// repository, a missing extension, a B-tree index damaged by amcheck's own opclass technique, an old backup).
/// </summary>
public class DrillTests
{
    private const string Schema = """
        create table users (id int primary key, email text not null unique);
        insert into users select g, 'u' || g || '@example.com' from generate_series(1, 400) g;
        create table dumps (id int primary key, user_id int references users(id), body text);
        insert into dumps select g, 1 + g % 400, md5(g::text) from generate_series(1, 900) g;
        create index dumps_user on dumps (user_id);
        """;

    private static PgConnectionSettings Server => PgConnectionSettings.Parse(TestServers.PgUrl());

    private static async Task<BackupInfo> BackUpAsync(string db, BackupLocation destination) =>
        await new BackupService(NullHost.Instance).RunAsync(new BackupRequest
        {
            Connection = PgConnectionSettings.Parse(TestServers.PgUrl(db)), Destination = destination, S3 = TestServers.S3Options,
        }, CancellationToken.None);

    private static DrillRequest Request(BackupInfo backup) => new()
    {
        Backup = BackupLocation.Parse(backup.Location), S3 = TestServers.S3Options, Server = Server, AllowSourceServer = true,
    };

    private static async Task<List<string>> ScratchDatabasesAsync(string db)
    {
        await using var c = new NpgsqlConnection(Server.Builder.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("select datname from pg_database where datname like @p", c);
        cmd.Parameters.AddWithValue("p", DrillNames.Prefix + db + "%");
        var names = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) names.Add(r.GetString(0));
        return names;
    }

    private static string NewFolder() => Directory.CreateTempSubdirectory("drill-").FullName;

    [Fact]
    public async Task DrillPassesOnAGoodBackupInRgwRecordsItAndDropsTheScratchDatabase()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var bucket = await TestServers.NewBucketAsync();
        var location = BackupLocation.Parse($"s3://{bucket}/db");
        var backup = await BackUpAsync(db, location);
        var host = new ProblemHost();

        var result = await new DrillService(host).RunAsync(Request(backup) with
        {
            RtoObjective = TimeSpan.FromMinutes(10), RpoObjective = TimeSpan.FromHours(1), RequiredExtensions = ["plpgsql"],
            Queries = [new("users", "select count(*) = 400 from users"), new("orphans none", "select not exists (select 1 from dumps d left join users u on u.id = d.user_id where u.id is null)"), new("some rows", "select id from users limit 3")],
        }, CancellationToken.None);

        Assert.NotNull(result);
        Assert.True(result!.Passed, string.Join("; ", result.Failures));
        Assert.Empty(result.Problems);
        Assert.Equal(db, result.Database);
        Assert.StartsWith(DrillNames.Prefix + db + "_", result.ScratchDatabase);
        Assert.Equal($"{TestServers.PgHost}:{TestServers.PgPort}", result.Server);
        Assert.Equal(2, result.Tables.Length);
        Assert.All(result.Tables, t => Assert.True(t.Ok && t.ActualRows == t.ExpectedRows));
        Assert.Equal(900, result.Tables.Single(t => t.Name == "dumps").ActualRows);
        Assert.Equal("Passed", result.IntegrityCheck);
        Assert.True(result.RtoMet);
        Assert.True(result.RpoMet);
        Assert.True(result.RestoreDuration > TimeSpan.Zero && result.RestoreDuration < TimeSpan.FromMinutes(10));
        Assert.All(result.Queries, q => Assert.True(q.Passed, q.ToString()));
        Assert.Single(result.Extensions, e => e.Name == "plpgsql" && e.Passed);
        Assert.Empty(await ScratchDatabasesAsync(db));

        // Recorded beside the backups, listed, and no lease left behind; the backup listing does not see the drills folder.
        using var repository = BackupRepository.Open(location, TestServers.S3Options);
        var folder = BackupName.SafeFolderName(db);
        var recorded = await DrillRecords.ListAsync(repository, [db], host, CancellationToken.None);
        var record = Assert.Single(recorded);
        Assert.Equal(result.ScratchDatabase, record.ScratchDatabase);
        Assert.True(record.Passed);
        Assert.Equal(result.RestoreDuration, record.RestoreDuration);
        Assert.Equal(2, record.Tables.Length);
        Assert.Empty(await DrillLeases.ListRunningAsync(repository, folder, DateTime.UtcNow, CancellationToken.None));
        var json = Encoding.UTF8.GetString((await repository.TryReadAllAsync(DrillRecords.Key(folder, result.ScratchDatabase), CancellationToken.None))!);
        Assert.DoesNotContain(TestServers.PgPassword, json);
        Assert.Single(await BackupCatalog.FindAsync(new BackupQuery { Location = location, S3 = TestServers.S3Options }, CancellationToken.None));
    }

    [Fact]
    public async Task TheSourceServerIsRefusedUnlessAllowedAndNothingIsCreated()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var dir = NewFolder();
        var backup = await BackUpAsync(db, BackupLocation.ForFolder(dir));
        var manifest = await File.ReadAllTextAsync(backup.ManifestLocation);
        Assert.Contains($"\"sourceServer\": \"{TestServers.PgHost}:{TestServers.PgPort}\"", manifest);
        Assert.Contains("\"sourceSystemIdentifier\"", manifest);

        var e = await Assert.ThrowsAsync<ClutterException>(() => new DrillService(NullHost.Instance).RunAsync(Request(backup) with { AllowSourceServer = false }, CancellationToken.None));
        Assert.True(e.Is(Errors.DrillOnSourceServer));
        Assert.Contains("-AllowSourceServer", e.Message);
        Assert.Empty(await ScratchDatabasesAsync(db));
        Assert.False(Directory.Exists(Path.Combine(dir, BackupName.SafeFolderName(db), DrillLeases.Folder)));
    }

    [Fact]
    public async Task AManifestRowCountAlteredThroughTheRepositoryFailsTheDrillAndDropsTheScratchDatabase()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var dir = NewFolder();
        var backup = await BackUpAsync(db, BackupLocation.ForFolder(dir));
        using (var repository = BackupRepository.Open(BackupLocation.ForFolder(dir), new()))
        {
            var key = BackupName.TryParse(Path.GetFileName(backup.Location))!.ManifestKey;
            var manifest = await BackupCatalog.ReadManifestAsync(repository, key, CancellationToken.None);
            manifest.Tables.Single(t => t.Name == "users").Rows = 401;
            await repository.PutAsync(key, manifest.ToJson(), "application/json", null, CancellationToken.None);
        }

        var result = await new DrillService(NullHost.Instance).RunAsync(Request(backup), CancellationToken.None);

        Assert.Equal("Failed", result!.Status);
        var users = result.Tables.Single(t => t.Name == "users");
        Assert.False(users.Ok);
        Assert.Equal(401, users.ExpectedRows);
        Assert.Equal(400, users.ActualRows);
        Assert.Contains(result.Failures, f => f.Contains("public.users has 400 rows, the manifest counted 401"));
        var problem = Assert.Single(result.Problems);
        Assert.True(problem.Is(Errors.DrillFailed));
        Assert.Contains("was dropped", problem.Message);
        Assert.Empty(await ScratchDatabasesAsync(db));
        var recorded = Assert.Single(Directory.GetFiles(Path.Combine(dir, BackupName.SafeFolderName(db), DrillLeases.Folder)));
        Assert.EndsWith(result.ScratchDatabase + ".json", recorded);
        Assert.Contains("\"status\": \"Failed\"", await File.ReadAllTextAsync(recorded));
    }

    [Fact]
    public async Task AMissingRequiredExtensionAndAFalseQueryFailTheDrill()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var backup = await BackUpAsync(db, BackupLocation.ForFolder(NewFolder()));

        var result = await new DrillService(NullHost.Instance).RunAsync(Request(backup) with
        {
            RequiredExtensions = ["plpgsql", "pg_trgm"],
            Queries = [new("too many users", "select count(*) > 400 from users"), new("no rows", "select 1 where false"), new("broken", "select * from no_such_table")],
        }, CancellationToken.None);

        Assert.False(result!.Passed);
        Assert.True(result.Extensions.Single(e => e.Name == "plpgsql").Passed);
        Assert.False(result.Extensions.Single(e => e.Name == "pg_trgm").Passed);
        Assert.Contains(result.Failures, f => f.Contains("required extension pg_trgm"));
        Assert.All(result.Queries, q => Assert.False(q.Passed));
        Assert.Contains("42P01", result.Queries.Single(q => q.Name == "broken").Detail);
        Assert.Equal("Passed", result.IntegrityCheck);
        Assert.True(Assert.Single(result.Problems).Is(Errors.DrillFailed));
        Assert.Empty(await ScratchDatabasesAsync(db));
    }

    [Fact]
    public async Task AMissedRpoObjectiveFailsTheDrillAndAMetRtoIsReported()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var backup = await BackUpAsync(db, BackupLocation.ForFolder(NewFolder()));

        // The drill runs three days after the backup (a clock ahead): the backup is older than the 24 h RPO.
        var result = await new DrillService(NullHost.Instance, new ShiftedClock(TimeSpan.FromDays(3))).RunAsync(Request(backup) with
        {
            RpoObjective = TimeSpan.FromHours(24), RtoObjective = TimeSpan.FromHours(4), NoIntegrityCheck = true,
        }, CancellationToken.None);

        Assert.False(result!.Passed);
        Assert.False(result.RpoMet);
        Assert.True(result.RtoMet);
        Assert.True(result.BackupAge > TimeSpan.FromDays(3) - TimeSpan.FromMinutes(1));
        Assert.Equal("Skipped", result.IntegrityCheck);
        Assert.Single(result.Failures, f => f.Contains("-RpoObjective"));
        Assert.Empty(await ScratchDatabasesAsync(db));
    }

    [Fact]
    public async Task ACorruptBtreeIndexOfAKeptScratchDatabaseFailsTheIntegrityCheck()
    {
        // amcheck's own technique (src/bin/pg_amcheck/t/005_opclass_damage.pl): an index built with one ordering of an
        // operator class, whose comparison function is then replaced by the reverse one, is corrupt as far as
        // bt_index_check can tell: its items are out of order.
        var db = await TestServers.NewDatabaseAsync("""
            create function fickle_cmp(a int4, b int4) returns int language sql immutable as $$ select case when $1 = $2 then 0 when $1 > $2 then 1 else -1 end $$;
            create operator class fickle_ops for type int4 using btree as
              operator 1 < (int4, int4), operator 2 <= (int4, int4), operator 3 = (int4, int4), operator 4 >= (int4, int4), operator 5 > (int4, int4),
              function 1 fickle_cmp(int4, int4);
            create table readings (v int4);
            insert into readings select g from generate_series(1, 2000) g;
            create index readings_fickle on readings using btree (v fickle_ops);
            """);
        var backup = await BackUpAsync(db, BackupLocation.ForFolder(NewFolder()));
        var service = new DrillService(NullHost.Instance);

        var result = await service.RunAsync(Request(backup) with { KeepDatabase = true }, CancellationToken.None);
        try
        {
            Assert.True(result!.Passed, string.Join("; ", result.Failures));
            Assert.True(result.KeptDatabase);
            Assert.Equal([result.ScratchDatabase], await ScratchDatabasesAsync(db));

            await TestServers.ExecAsync(result.ScratchDatabase,
                "create or replace function fickle_cmp(a int4, b int4) returns int language sql immutable as $$ select case when $1 = $2 then 0 when $1 > $2 then -1 else 1 end $$");
            var again = await service.CheckIntegrityAsync(Server.WithDatabase(result.ScratchDatabase), CancellationToken.None);

            Assert.False(again.Passed);
            Assert.Contains("readings_fickle", again.Detail);
        }
        finally
        {
            await PgDatabases.DropAsync(Server.WithDatabase(result!.ScratchDatabase), CancellationToken.None);
        }
    }

    [Fact]
    public async Task CancelledMidDrillLeavesNoScratchDatabaseAndNoLease()
    {
        var db = await TestServers.NewDatabaseAsync("create table big (id int, body text); insert into big select g, repeat(md5(g::text), 8) from generate_series(1, 300000) g; create index on big (id);");
        var dir = NewFolder();
        var backup = await BackUpAsync(db, BackupLocation.ForFolder(dir));
        using var cts = new CancellationTokenSource();
        var drill = new DrillService(NullHost.Instance).RunAsync(Request(backup), cts.Token);
        while ((await ScratchDatabasesAsync(db)).Count == 0 && !drill.IsCompleted) await Task.Delay(20);
        Assert.False(drill.IsCompleted, "the drill ended before it could be cancelled");
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => drill);
        Assert.Empty(await ScratchDatabasesAsync(db));
        var drills = Path.Combine(dir, BackupName.SafeFolderName(db), DrillLeases.Folder);
        Assert.Empty(Directory.Exists(drills) ? Directory.GetFiles(drills) : []);
    }

    [Fact]
    public async Task MaxDrillAgeAlarmsWithoutAPassedDrillAndPassesAfterOne()
    {
        var db = await TestServers.NewDatabaseAsync(Schema);
        var dir = NewFolder();
        var backup = await BackUpAsync(db, BackupLocation.ForFolder(dir));
        var query = new BackupAgeQuery { Location = BackupLocation.ForFolder(dir), MaxDrillAge = TimeSpan.FromDays(35) };

        var before = Assert.Single(await BackupAgeService.CheckAsync(query, CancellationToken.None));
        Assert.False(before.Healthy);
        Assert.True(Assert.Single(before.Problems).Is(Errors.NoDrillFound));

        // A failed drill does not count; a passed one does.
        var failed = await new DrillService(NullHost.Instance).RunAsync(Request(backup) with { RequiredExtensions = ["no_such_extension"], NoIntegrityCheck = true }, CancellationToken.None);
        Assert.False(failed!.Passed);
        Assert.True(Assert.Single((await BackupAgeService.CheckAsync(query, CancellationToken.None))[0].Problems).Is(Errors.NoDrillFound));

        var passed = await new DrillService(NullHost.Instance).RunAsync(Request(backup) with { NoIntegrityCheck = true }, CancellationToken.None);
        Assert.True(passed!.Passed);
        var after = Assert.Single(await BackupAgeService.CheckAsync(query, CancellationToken.None));
        Assert.True(after.Healthy);
        Assert.Empty(after.Problems);
        Assert.Equal(passed.StartedUtc, after.LatestDrillPassedUtc);

        // The same drill is too old for a one-millisecond span.
        var strict = Assert.Single(await BackupAgeService.CheckAsync(query with { MaxDrillAge = TimeSpan.FromMilliseconds(1) }, CancellationToken.None));
        Assert.False(strict.Healthy);
        Assert.True(Assert.Single(strict.Problems).Is(Errors.DrillTooOld));
    }

    [Theory]
    [InlineData("app", "20261201T210000Z", "clutterdr_drill_app_20261201T210000Z")]
    [InlineData("My DB", "20280229T000000Z", "clutterdr_drill_My_DB_20280229T000000Z")]
    public void ScratchNamesCarryTheDatabaseAndTheUtcTime(string db, string stamp, string expected)
    {
        var at = DateTime.ParseExact(stamp, "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
        Assert.Equal(expected, DrillNames.Scratch(db, at));
    }

    [Fact]
    public void ScratchNamesOfLongDatabaseNamesFitPostgresIdentifiers()
    {
        var name = DrillNames.Scratch(new string('x', 80), new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.Equal(63, name.Length);
        Assert.EndsWith("_20261201T000000Z", name);
    }
}
