using System.Diagnostics;
using System.Net;
using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Restore;
using ClutterDR.Storage;

namespace ClutterDR.Net8Host;

/// <summary>Backup to S3, list, restore into a new database, compare row counts: the engine, no PowerShell.</summary>
internal static class RoundTrip
{
    private sealed class ConsoleSink : IEngineHost
    {
        public void Progress(ProgressUpdate update) { }
        public void Verbose(string message) => Console.WriteLine($"  verbose: {message}");
        public void Warning(string message) => Console.WriteLine($"  warning: {message}");
        public ValueTask ProblemAsync(ClutterException problem) { Console.WriteLine($"  problem: {problem.ErrorId}: {problem.Message}"); return ValueTask.CompletedTask; }
        public ValueTask ItemAsync(object item) => ValueTask.CompletedTask;
        public ValueTask<IReadOnlyList<Consent>> ConfirmAsync(IReadOnlyList<PlannedChange> changes) => NullHost.Instance.ConfirmAsync(changes);
    }

    private static string Env(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v
        : throw new InvalidOperationException($"{name} is not set: start tests/TestServices/Start-TestServices.ps1 first.");

    public static async Task RunAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var source = $"n8src_{suffix}";
        var target = $"n8dst_{suffix}";
        // Made by the calling test (a real S3 server wants signed requests; this host signs nothing itself).
        var bucket = Env("CLUTTERDR_NET8HOST_BUCKET");
        var endpoint = Env("CLUTTERDR_TEST_S3_ENDPOINT");
        var s3 = new S3Options(endpoint, Env("CLUTTERDR_TEST_S3_REGION"), null, Env("CLUTTERDR_TEST_S3_ACCESS_KEY"), Env("CLUTTERDR_TEST_S3_SECRET_KEY"));
        string Url(string db) => $"postgresql://{Env("CLUTTERDR_TEST_PG_USER")}:{Uri.EscapeDataString(Env("CLUTTERDR_TEST_PG_PASSWORD"))}@{Env("CLUTTERDR_TEST_PG_HOST")}:{Env("CLUTTERDR_TEST_PG_PORT")}/{db}";

        Psql("postgres", $"create database {source}");
        try
        {
            Psql(source, """
                create table orders (id bigint primary key, note text);
                insert into orders select g, md5(g::text) from generate_series(1, 4321) g;
                create table customers (id int primary key, name text);
                insert into customers select g, 'c' || g from generate_series(1, 87) g;
                """);

            var sink = new ConsoleSink();
            var backup = await new BackupService(sink).RunAsync(new BackupRequest
            {
                Connection = PgConnectionSettings.Parse(Url(source)),
                Destination = BackupLocation.Parse($"s3://{bucket}/net8"),
                S3 = s3,
            }, CancellationToken.None).ConfigureAwait(false);
            Console.WriteLine($"backup: {backup.Location} ({backup.SizeBytes} bytes, {string.Join(", ", backup.Tables.Select(t => t.ToString()))})");
            Program.Check(backup.Location.StartsWith($"s3://{bucket}/net8/", StringComparison.Ordinal), "backup written to S3");
            Program.Check(backup.Tables.Any(t => t.Name == "orders" && t.Rows == 4321) && backup.Tables.Any(t => t.Name == "customers" && t.Rows == 87),
                "backup manifest counts 4321 orders and 87 customers");

            var listed = await BackupCatalog.FindAsync(new BackupQuery { Location = BackupLocation.Parse($"s3://{bucket}/net8"), S3 = s3 }, CancellationToken.None).ConfigureAwait(false);
            Program.Check(listed.Count == 1 && listed[0].Sha256 == backup.Sha256, $"the listing finds that one backup ({listed.Count} found)");

            var restored = await new RestoreService(sink).RunAsync(new RestoreRequest
            {
                Target = PgConnectionSettings.Parse(Url(target)),
                Backup = BackupLocation.Parse(backup.Location),
                S3 = s3,
                CreateDatabase = true,
            }, CancellationToken.None).ConfigureAwait(false);
            Program.Check(restored is { Verified: true }, $"restore verified ({string.Join(", ", restored?.Tables.Select(t => t.ToString()) ?? [])})");

            var orders = Psql(target, "select count(*) from orders");
            var customers = Psql(target, "select count(*) from customers");
            Program.Check(orders == "4321" && customers == "87", $"the restored database has 4321 orders and 87 customers (psql says {orders} and {customers})");
        }
        finally
        {
            foreach (var db in new[] { source, target })
            {
                try { Psql("postgres", $"drop database if exists {db} with (force)"); }
                catch (Exception e) { Console.WriteLine($"  cleanup: {e.Message}"); }
            }
        }
    }

    private static string Psql(string database, string sql)
    {
        var psi = new ProcessStartInfo(Path.Combine(Env("CLUTTERDR_PG_BIN"), "psql"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", Env("CLUTTERDR_TEST_PG_HOST"), "-p", Env("CLUTTERDR_TEST_PG_PORT"), "-U", Env("CLUTTERDR_TEST_PG_USER"), "-d", database, "-c", sql })
            psi.ArgumentList.Add(a);
        psi.Environment["PGPASSWORD"] = Env("CLUTTERDR_TEST_PG_PASSWORD");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"psql failed ({p.ExitCode}): {stderr.Trim()}");
        return stdout.Result.Trim();
    }
}
