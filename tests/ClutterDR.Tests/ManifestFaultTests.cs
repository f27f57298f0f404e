using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Restore;
using ClutterDR.Storage;
using ClutterDR.Verify;

namespace ClutterDR.Tests;

/// <summary>
/// Issue 11 fault matrix row 12: a backup whose manifest is missing or unparsable is not listed (the unparsable
/// one reported as ManifestInvalid), Restore and Test by its location refuse clearly and touch nothing, and
/// the intact backup beside them is still listed and restorable.
/// </summary>
public class ManifestFaultTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AMissingOrUnparsableManifestIsNotListedAndRestoreByLocationRefuses(bool s3)
    {
        var db = await TestServers.NewDatabaseAsync("create table t (id int primary key); insert into t select generate_series(1, 42);");
        var location = s3
            ? BackupLocation.Parse($"s3://{await TestServers.NewBucketAsync()}/row12")
            : BackupLocation.ForFolder(Directory.CreateTempSubdirectory("clutterdr-xt-").FullName);
        var request = new BackupRequest { Connection = PgConnectionSettings.Parse(TestServers.PgUrl(db)), Destination = location, S3 = TestServers.S3Options };
        var backups = new List<BackupInfo>();
        for (var i = 0; i < 3; i++)
            backups.Add(await new BackupService(NullHost.Instance, new FixedClock(new DateTimeOffset(2026, 12, 1, 5, 0, i, TimeSpan.Zero))).RunAsync(request, CancellationToken.None));
        var (intact, noManifest, damaged) = (backups[0], backups[1], backups[2]);

        using (var repo = BackupRepository.Open(location, TestServers.S3Options))
        {
            string KeyOf(BackupInfo b) => BackupName.SafeFolderName(db) + "/" + b.ManifestLocation[(b.ManifestLocation.LastIndexOfAny(new[] { '/', '\\' }) + 1)..];
            await repo.DeleteAsync(KeyOf(noManifest), CancellationToken.None);
            await repo.DeleteAsync(KeyOf(damaged), CancellationToken.None);
            await repo.PutAsync(KeyOf(damaged), "{ this is not json"u8.ToArray(), "application/json", null, CancellationToken.None);
            Assert.Null(await repo.TryReadAllAsync(KeyOf(noManifest), CancellationToken.None));
        }

        var host = new ProblemHost();
        var listed = await BackupCatalog.FindAsync(new BackupQuery { Location = location, S3 = TestServers.S3Options, Host = host }, CancellationToken.None);
        var problems = host.Problems;
        Assert.Equal(intact.Location, Assert.Single(listed).Location);
        var problem = Assert.Single(problems);
        Assert.Equal("ManifestInvalid", problem.ErrorId);
        Assert.Equal(damaged.ManifestLocation, problem.Target);

        foreach (var (backup, errorId, kind, says) in new[]
                 {
                     (noManifest.Location, "ManifestNotFound", FailureKind.ObjectNotFound, "has no manifest"),
                     (damaged.Location, "ManifestInvalid", FailureKind.InvalidData, "is damaged"),
                     (damaged.ManifestLocation, "ManifestInvalid", FailureKind.InvalidData, "is damaged"),
                 })
        {
            var target = await TestServers.NewDatabaseAsync("create table keep (x int); insert into keep values (7);");
            var e = await Assert.ThrowsAsync<ClutterException>(() => new RestoreService(NullHost.Instance).RunAsync(new RestoreRequest
            {
                Target = PgConnectionSettings.Parse(TestServers.PgUrl(target)),
                Backup = BackupLocation.Parse(backup),
                S3 = TestServers.S3Options,
                Clean = true,
            }, CancellationToken.None));
            Assert.Equal(errorId, e.ErrorId);
            Assert.Equal(kind, e.Kind);
            Assert.Contains(says, e.Message);
            Assert.Contains("Get-ClutterBackup", e.Message);
            Assert.DoesNotContain("unexpected", e.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(new[] { "keep" }, await TableNamesAsync(target)); // -Clean did not get to drop anything

            var verification = await new VerificationService(NullHost.Instance)
                .RunAsync(new VerificationRequest { Backup = BackupLocation.Parse(backup), S3 = TestServers.S3Options }, CancellationToken.None);
            var failures = verification.Problems;
            Assert.Equal(VerificationStatus.Failed, verification.Status);
            Assert.Equal(errorId, Assert.Single(failures).ErrorId);
        }

        var fresh = await TestServers.NewDatabaseAsync();
        var restored = await new RestoreService(NullHost.Instance).RunAsync(new RestoreRequest
        {
            Target = PgConnectionSettings.Parse(TestServers.PgUrl(fresh)),
            Backup = BackupLocation.Parse(intact.Location),
            S3 = TestServers.S3Options,
        }, CancellationToken.None);
        Assert.True(restored!.Verified);
        Assert.Equal(42, restored.Tables.Single().ActualRows);
    }

    private static async Task<List<string>> TableNamesAsync(string database)
    {
        await using var c = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder
        {
            Host = TestServers.PgHost, Port = int.Parse(TestServers.PgPort), Username = TestServers.PgUser, Password = TestServers.PgPassword, Database = database, Pooling = false,
        }.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("select tablename from pg_tables where schemaname = 'public' order by 1", c);
        var names = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) names.Add(r.GetString(0));
        return names;
    }
}
