using System.Diagnostics;
using System.Text;
using Npgsql;

namespace ClutterDR.Tests;

/// <summary>
/// The Supabase-shaped test bed: tests/Fixtures/supabase (platform.sql: a new project; project.sql: a project in
/// use) loaded into the test services' Supabase cluster, whose bootstrap superuser is supabase_admin. Tests
/// connect as postgres, the non-superuser role a Supabase project's owner uses. The fingerprints are verify.sh's.
/// </summary>
internal static class SupabaseBed
{
    public static string Host => Require("CLUTTERDR_TEST_SUPABASE_HOST");
    public static string Port => Require("CLUTTERDR_TEST_SUPABASE_PORT");
    public static string Password => Require("CLUTTERDR_TEST_SUPABASE_PASSWORD");
    private static string Require(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v
        : throw new InvalidOperationException($"{name} is not set: start the test services (tests/TestServices/Start-TestServices.ps1).");
    private static string Fixture(string file) => Path.Combine(SourceTree.RepoRoot, "tests", "Fixtures", "supabase", file);
    private static string Bin(string tool) => Path.Combine(Environment.GetEnvironmentVariable("CLUTTERDR_PG_BIN") ?? "/usr/lib/postgresql/15/bin", tool);

    public static string Url(string database, string user = "postgres") => $"postgresql://{user}:{Uri.EscapeDataString(Password)}@{Host}:{Port}/{database}";

    /// <summary>A new project (platform.sql), put in use (project.sql at that scale) unless scale is null.</summary>
    public static async Task<string> NewProjectAsync(int? scale, string? extraAdminSql = null)
    {
        var name = "supa_" + Guid.NewGuid().ToString("N")[..10];
        await ExecAsync("postgres", $"create database {name}", "supabase_admin"); // platform.sql creates postgres (on a fresh cluster) and gives it the database
        await PsqlAsync(name, "supabase_admin", "-f", Fixture("platform.sql"), "-v", "postgres_password=" + Password);
        if (scale is int s) await PsqlAsync(name, "postgres", "-f", Fixture("project.sql"), "-v", $"scale={s}");
        if (extraAdminSql is not null) await ExecAsync(name, extraAdminSql, "supabase_admin");
        return name;
    }

    public static async Task DropAsync(params string[] databases)
    {
        foreach (var d in databases)
            try { await ExecAsync("postgres", $"drop database if exists {d} with (force)", "supabase_admin"); } catch (PostgresException) { }
    }

    public static async Task ExecAsync(string database, string sql, string user = "postgres")
    {
        await using var c = await OpenAsync(database, user);
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task<List<string>> LinesAsync(string database, string sql, string user = "postgres")
    {
        await using var c = await OpenAsync(database, user);
        await using var cmd = new NpgsqlCommand(sql, c);
        await using var r = await cmd.ExecuteReaderAsync();
        var lines = new List<string>();
        do
        {
            while (await r.ReadAsync())
                lines.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        } while (await r.NextResultAsync());
        return lines;
    }

    private static async Task<NpgsqlConnection> OpenAsync(string database, string user)
    {
        var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = Host, Port = int.Parse(Port), Username = user, Password = Password, Database = database, Pooling = false,
        }.ConnectionString);
        await c.OpenAsync();
        return c;
    }

    private static async Task<string> RunAsync(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(Bin(tool)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PGPASSWORD"] = Password;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed: {await stderr}");
        return await stdout;
    }

    private static Task PsqlAsync(string database, string user, params string[] args) =>
        RunAsync("psql", new[] { "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", Host, "-p", Port, "-U", user, "-d", database }.Concat(args).ToArray());

    /// <summary>
    /// What a correct restore reproduces (verify.sh's fingerprint): the schema of public and supabase_migrations
    /// (tables, functions, policies, grants, default privileges), the rows of the app's and of auth/storage tables,
    /// sequences, triggers and policies on managed tables, the publication's tables.
    /// </summary>
    public static async Task<List<string>> FingerprintAsync(string database)
    {
        var schema = await RunAsync("pg_dump", "-h", Host, "-p", Port, "-U", "postgres", "-s", "-n", "public", "-n", "supabase_migrations", database);
        var lines = schema.Split('\n').Where(l => !l.StartsWith("\\restrict", StringComparison.Ordinal) && !l.StartsWith("\\unrestrict", StringComparison.Ordinal)).ToList();
        var sql = new StringBuilder();
        var present = (await LinesAsync(database, "select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('public', 'supabase_migrations', 'auth', 'storage') and c.relkind = 'r'")).ToHashSet();
        foreach (var t in new[] { "public.users", "public.dumps", "public.reminders", "public.backup_audit_log", "supabase_migrations.schema_migrations",
                     "auth.users", "auth.identities", "auth.sessions", "auth.refresh_tokens", "auth.audit_log_entries", "storage.buckets", "storage.objects" }
                     .Where(t => present.Contains(t) || present.Contains(t.Replace("public.", "", StringComparison.Ordinal))))
            sql.Append($"select 'rows {t}', count(*), md5(coalesce(string_agg(r::text, E'\\n' order by r::text), '')) from {t} r;\n");
        sql.Append("""
            select 'sequence', 'auth.refresh_tokens_id_seq', last_value, is_called from auth.refresh_tokens_id_seq;
            select 'trigger', tgrelid::regclass::text, tgname, tgfoid::regproc::text, tgenabled from pg_trigger
             where not tgisinternal and tgrelid::regclass::text !~ '^public\.' order by 2, 3;
            select 'policy', schemaname, tablename, policyname, cmd, roles::text, qual, with_check from pg_policies
             where schemaname <> 'public' order by 2, 3, 4;
            select 'publication', pubname, schemaname, tablename from pg_publication_tables order by 2, 3, 4;
            """);
        if (present.Contains("reminders") || present.Contains("public.reminders"))
            sql.Append("select 'sequence', 'public.reminders_id_seq', last_value, is_called from public.reminders_id_seq;\n");
        lines.AddRange(await LinesAsync(database, sql.ToString()));
        return lines;
    }

    /// <summary>What a new project has and a restore must leave alone: event triggers, migration-history rows, the managed tables' definitions.</summary>
    public static Task<List<string>> PlatformStateAsync(string database) => LinesAsync(database, """
        select 'event trigger', evtname, evtowner::regrole::text, evtenabled from pg_event_trigger order by 2;
        select 'auth.schema_migrations', count(*), md5(string_agg(version, ',' order by version)) from auth.schema_migrations;
        select 'storage.migrations', count(*), md5(string_agg(id || name || hash || executed_at, ',' order by id)) from storage.migrations;
        select 'realtime.schema_migrations', count(*), md5(string_agg(version || '' || inserted_at, ',' order by version)) from realtime.schema_migrations;
        select 'supabase_functions.migrations', count(*), md5(string_agg(version || inserted_at, ',' order by version)) from supabase_functions.migrations;
        select 'managed table', n.nspname, c.relname, pg_get_userbyid(c.relowner), c.relacl::text, c.relrowsecurity,
               (select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum) from pg_attribute where attrelid = c.oid and attnum > 0 and not attisdropped)
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname in ('auth', 'storage', 'realtime', 'supabase_functions') and c.relkind = 'r' order by 2, 3;
        """);
}
