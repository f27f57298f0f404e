using System.Text;
using ClutterDR.Catalog;
using ClutterDR.Database;

namespace ClutterDR.Tests;

/// <summary>pg_dump's and pg_restore's arguments (pure), and pg_restore on an archive without connection settings (the real tools).</summary>
public class PgDumpRestoreArgumentTests
{
    private static readonly PgConnectionSettings Target = PgConnectionSettings.Parse("postgresql://u:secretpw@h:5432/my%20db");

    [Fact]
    public void ACustomDumpIsUncompressedInItsSnapshotWithStrictNames()
    {
        var args = PgDump.Arguments(DumpFormat.Custom, "00000003-1", Target, new[] { "public.a" }, new[] { "public.b" });
        Assert.Equal(new[] { "--format=custom", "--snapshot=00000003-1", "--no-password", "--dbname=dbname='my db'", "--compress=0", "--table=public.a", "--exclude-table=public.b", "--strict-names" }, args);
        Assert.DoesNotContain(args, a => a.Contains("secretpw"));
    }

    [Fact]
    public void APlainDumpCleansIfExists()
    {
        var args = PgDump.Arguments(DumpFormat.Plain, "s", Target, Array.Empty<string>(), Array.Empty<string>());
        Assert.Equal(new[] { "--format=plain", "--snapshot=s", "--no-password", "--dbname=dbname='my db'", "--clean", "--if-exists" }, args);
    }

    [Fact]
    public void RestoreArgumentsRunInOneTransaction()
    {
        Assert.Equal(new[] { "--single-transaction", "--exit-on-error", "--no-password", "--dbname=dbname='my db'" }, PgRestore.Arguments(Target, false, false));
        Assert.Equal(new[] { "--single-transaction", "--exit-on-error", "--no-password", "--dbname=dbname='my db'", "--clean", "--if-exists", "--no-owner" }, PgRestore.Arguments(Target, true, true));
        Assert.Equal(new[] { "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction", "--no-password", "--dbname=dbname='my db'", "--file=-" }, PgRestore.PsqlArguments(Target));
    }

    [Fact]
    public void TableRestoreArgumentsUseTheList()
    {
        Assert.Equal(new[] { "--use-list=/t/l", "--file=-", "--data-only", "--no-owner" }, PgRestore.TableArguments("/t/l", dataOnly: true, clean: true, noOwner: true));
        Assert.Equal(new[] { "--use-list=/t/l", "--file=-", "--clean", "--if-exists" }, PgRestore.TableArguments("/t/l", dataOnly: false, clean: true, noOwner: false));
        Assert.Equal(new[] { "--list" }, PgRestore.ListArguments);
        Assert.Equal(new[] { "--schema-only", "--file=-" }, PgRestore.SchemaArguments);
    }

    [Fact]
    public async Task PgRestoreListsAnArchiveWithoutConnectionSettings()
    {
        var db = await TestServers.NewDatabaseAsync("create table listed_here (id int); insert into listed_here values (1);");
        var conn = PgConnectionSettings.Parse(TestServers.PgUrl(db));
        using var dump = PgProcess.Start(PgTools.Find("pg_dump"), new[] { "--format=custom", "--no-password", "--dbname=" + conn.DbnameArgument }, conn, redirectInput: false, redirectOutput: true);
        var archive = new MemoryStream();
        await dump.StandardOutput.CopyToAsync(archive);
        Assert.Equal(0, await dump.WaitForExitAsync(CancellationToken.None));

        using var list = PgRestore.StartOnArchive(PgRestore.Find("15.0"), PgRestore.ListArguments);
        var output = Task.Run(async () => await new StreamReader(list.StandardOutput, Encoding.UTF8).ReadToEndAsync());
        await list.StandardInput.WriteAsync(archive.ToArray());
        list.StandardInput.Close();
        Assert.Equal(0, await list.WaitForExitAsync(CancellationToken.None));
        Assert.Contains("TABLE public listed_here", await output);
        await TestServers.ExecAsync("postgres", $"drop database {db}");
    }
}

/// <summary>PgDatabases and PgSnapshot against the real server.</summary>
public class PgDatabasesAndSnapshotTests
{
    [Fact]
    public async Task ADatabaseIsCreatedFoundAndDropped()
    {
        var target = PgConnectionSettings.Parse(TestServers.PgUrl("xt_" + Guid.NewGuid().ToString("N")[..10]));
        Assert.False(await PgDatabases.ExistsAsync(target, CancellationToken.None));
        await PgDatabases.CreateAsync(target, CancellationToken.None);
        Assert.True(await PgDatabases.ExistsAsync(target, CancellationToken.None));
        var again = await Assert.ThrowsAsync<ClutterException>(() => PgDatabases.CreateAsync(target, CancellationToken.None));
        Assert.DoesNotContain(TestServers.PgPassword, again.Message);
        await PgDatabases.DropAsync(target, CancellationToken.None);
        Assert.False(await PgDatabases.ExistsAsync(target, CancellationToken.None));
        await PgDatabases.DropAsync(target, CancellationToken.None); // if exists: dropping twice is fine
    }

    [Fact]
    public async Task TheSnapshotCountsWhatItSawAndIsExportedReadOnly()
    {
        var db = await TestServers.NewDatabaseAsync("create table counted (id int); insert into counted select generate_series(1, 3);");
        var conn = PgConnectionSettings.Parse(TestServers.PgUrl(db));
        await using (var c = await PgErrors.OpenAsync(conn, CancellationToken.None))
        {
            var tables = (await PgCatalog.ListRelationsAsync(c, CancellationToken.None)).Where(r => r.HasRows).ToList();
            await using var snapshot = await PgSnapshot.BeginAsync(c, conn, tables, CancellationToken.None);
            Assert.Matches("^[0-9A-F]+-[0-9A-F]+(-[0-9A-F]+)?$", snapshot.Id);
            Assert.True(snapshot.EstimatedDumpBytes > 0);
            await TestServers.ExecAsync(db, "insert into counted values (4), (5)");
            var counts = await snapshot.CountRowsAsync(tables, CancellationToken.None);
            Assert.Equal(3, Assert.Single(counts).Rows);
            Assert.NotNull(counts[0].Definition);
            await using var write = new Npgsql.NpgsqlCommand("insert into counted values (6)", c);
            var e = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => write.ExecuteNonQueryAsync());
            Assert.Equal("25006", e.SqlState); // read_only_sql_transaction
        }
        await TestServers.ExecAsync("postgres", $"drop database {db}");
    }
}
