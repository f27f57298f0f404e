using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Restore;
using Npgsql;

namespace ClutterDR.Tests;

/// <summary>
/// Issue 13 against the Supabase-shaped test bed (SupabaseBed), always connected as the non-superuser postgres:
/// a project in use, backed up and restored into a new project (exactly the project's objects and rows, the
/// platform untouched, one transaction), a Supabase backup onto plain PostgreSQL (-CreateMissingRoles,
/// -NoPrivileges), and the project's own roles (-IncludeRoles).
/// </summary>
public class SupabaseRestoreTests
{
    private sealed class Host : ITestHost
    {
        public List<string> Warnings { get; } = new();
        public List<string> Verbose { get; } = new();
        public void Progress(ProgressUpdate update) { }
        void IEngineHost.Verbose(string message) { lock (Verbose) Verbose.Add(message); }
        public void Warning(string message) { lock (Warnings) Warnings.Add(message); }
    }

    private static async Task<BackupInfo> BackupAsync(string database, bool includeRoles = false)
    {
        var folder = Path.Combine(Path.GetTempPath(), "clutterdr-supa-" + Guid.NewGuid().ToString("N")[..8]);
        return await new BackupService(NullHost.Instance).RunAsync(new BackupRequest
        {
            Connection = PgConnectionSettings.Parse(SupabaseBed.Url(database)),
            Destination = BackupLocation.ForFolder(folder),
            IncludeRoles = includeRoles,
        }, CancellationToken.None);
    }

    private static Task<RestoreResult?> RestoreAsync(BackupInfo backup, string targetUrl, IEngineHost host, TargetKind kind = TargetKind.Auto,
        bool clean = false, bool createDatabase = false, bool createMissingRoles = false, bool noPrivileges = false) =>
        new RestoreService(host).RunAsync(new RestoreRequest
        {
            Target = PgConnectionSettings.Parse(targetUrl), Backup = BackupLocation.Parse(backup.Location), TargetKind = kind, Clean = clean,
            CreateDatabase = createDatabase, CreateMissingRoles = createMissingRoles, NoPrivileges = noPrivileges,
        }, CancellationToken.None);

    /// <summary>On Supabase, supautils lets postgres create policies on storage.objects; here membership of its owner stands in.</summary>
    private static async Task WithSupautilsAsync(Func<Task> body)
    {
        await SupabaseBed.ExecAsync("postgres", "grant supabase_storage_admin to postgres", "supabase_admin");
        try { await body(); }
        finally { await SupabaseBed.ExecAsync("postgres", "revoke supabase_storage_admin from postgres", "supabase_admin"); }
    }

    [Fact]
    public async Task A_project_restored_into_a_new_project_equals_the_source_and_leaves_the_platform_as_it_was()
    {
        var src = await SupabaseBed.NewProjectAsync(1);
        var dst = await SupabaseBed.NewProjectAsync(null);
        try
        {
            var backup = await BackupAsync(src);
            var platform = await SupabaseBed.PlatformStateAsync(dst);
            var host = new Host();
            RestoreResult? result = null;
            await WithSupautilsAsync(async () => result = await RestoreAsync(backup, SupabaseBed.Url(dst), host));

            Assert.NotNull(result);
            Assert.Equal("Supabase", result.TargetKind);
            Assert.True(result.Verified, string.Join("; ", result.Tables.Where(t => !t.Matches)));
            Assert.Contains(result.Tables, t => t.QualifiedName == "auth.users" && t.ExpectedRows == 500);
            Assert.Contains(result.Tables, t => t.QualifiedName == "public.backup_audit_log" && t.GrantsMatch == true);
            Assert.DoesNotContain(result.Tables, t => t.QualifiedName == "auth.schema_migrations");
            Assert.Empty(host.Warnings);
            Assert.Contains(host.Verbose, v => v.Contains("is a Supabase project", StringComparison.Ordinal));
            Assert.Equal(await SupabaseBed.FingerprintAsync(src), await SupabaseBed.FingerprintAsync(dst));
            Assert.Equal(platform, await SupabaseBed.PlatformStateAsync(dst));

            // -Clean drops only the project's objects and replaces the rows of the managed tables: the same end state again.
            await SupabaseBed.ExecAsync(dst, "insert into public.backup_audit_log (backup_type, backup_location, status) values ('x', 'y', 'z')");
            await WithSupautilsAsync(async () => result = await RestoreAsync(backup, SupabaseBed.Url(dst), new Host(), TargetKind.Supabase, clean: true));
            Assert.True(result!.Verified);
            Assert.Equal(await SupabaseBed.FingerprintAsync(src), await SupabaseBed.FingerprintAsync(dst));
            Assert.Equal(platform, await SupabaseBed.PlatformStateAsync(dst));
        }
        finally { await SupabaseBed.DropAsync(src, dst); }
    }

    [Fact]
    public async Task Without_supautils_the_storage_policies_are_named_as_not_restored_and_all_else_equals_the_source()
    {
        var src = await SupabaseBed.NewProjectAsync(1);
        var dst = await SupabaseBed.NewProjectAsync(null);
        try
        {
            var backup = await BackupAsync(src);
            var host = new Host();
            var result = await RestoreAsync(backup, SupabaseBed.Url(dst), host);
            Assert.True(result!.Verified);
            Assert.Equal(3, host.Warnings.Count);
            Assert.All(host.Warnings, w => Assert.Contains("on storage.objects", w));
            var missing = (await SupabaseBed.FingerprintAsync(src)).Except(await SupabaseBed.FingerprintAsync(dst)).ToList();
            Assert.Equal(3, missing.Count);
            Assert.All(missing, l => Assert.StartsWith("policy|storage|objects|", l));
        }
        finally { await SupabaseBed.DropAsync(src, dst); }
    }

    [Fact]
    public async Task A_restore_that_fails_half_way_leaves_the_new_project_as_it_was()
    {
        var src = await SupabaseBed.NewProjectAsync(1);
        var dst = await SupabaseBed.NewProjectAsync(null);
        try
        {
            var backup = await BackupAsync(src);
            // A bucket of the same id in the new project: COPY storage.buckets fails after the project's tables and auth rows are in.
            var bucket = (await SupabaseBed.LinesAsync(src, "select id from storage.buckets order by id limit 1"))[0];
            await SupabaseBed.ExecAsync(dst, $"insert into storage.buckets (id, name) values ('{bucket}', '{bucket}')", "supabase_admin");
            var before = await SupabaseBed.FingerprintAsync(dst);
            var platform = await SupabaseBed.PlatformStateAsync(dst);

            var e = await Assert.ThrowsAsync<ClutterException>(() => RestoreAsync(backup, SupabaseBed.Url(dst), new Host()));
            Assert.True(e.Is(Errors.RestoreFailed), e.ErrorId);
            Assert.Contains("buckets_pkey", e.Message);
            Assert.Equal(before, await SupabaseBed.FingerprintAsync(dst));
            Assert.Equal(platform, await SupabaseBed.PlatformStateAsync(dst));
        }
        finally { await SupabaseBed.DropAsync(src, dst); }
    }

    [Fact]
    public async Task A_supabase_backup_onto_plain_postgresql_needs_its_roles_created_or_its_privileges_left_out()
    {
        var src = await SupabaseBed.NewProjectAsync(1);
        var plain1 = "xt_plain_" + Guid.NewGuid().ToString("N")[..8];
        var plain2 = "xt_plain_" + Guid.NewGuid().ToString("N")[..8];
        var created = new List<string>();
        await DropLeftoverSupabaseRolesAsync();
        try
        {
            var backup = await BackupAsync(src);
            var rows = await SupabaseBed.LinesAsync(src, RowsSql);

            // Neither switch: refused before anything is created, naming the roles.
            var e = await Assert.ThrowsAsync<ClutterException>(() => RestoreAsync(backup, TestServers.PgUrl(plain1), new Host(), createDatabase: true));
            Assert.True(e.Is(Errors.RolesMissing), e.ErrorId);
            Assert.Contains("anon", e.Message);
            Assert.Empty(await PlainAsync("postgres", $"select 1 from pg_database where datname = '{plain1}'"));

            // -NoPrivileges: every row, no grant, one owner.
            var bare = await RestoreAsync(backup, TestServers.PgUrl(plain1), new Host(), TargetKind.PostgreSQL, createDatabase: true, noPrivileges: true);
            Assert.True(bare!.Verified);
            Assert.Empty(bare.CreatedRoles);
            Assert.Equal(rows, await PlainAsync(plain1, RowsSql));
            Assert.Equal(new[] { "postgres|" }, await PlainAsync(plain1, "select distinct pg_get_userbyid(relowner), coalesce(relacl::text, '') from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('public', 'auth', 'storage') and relkind = 'r'"));

            // -CreateMissingRoles: the roles made NOLOGIN, owners and grants as the source's.
            var full = await RestoreAsync(backup, TestServers.PgUrl(plain2), new Host(), TargetKind.Auto, createDatabase: true, createMissingRoles: true);
            created.AddRange(full!.CreatedRoles);
            Assert.Equal("PostgreSQL", full.TargetKind);
            Assert.True(full.Verified, string.Join("; ", full.Tables.Where(t => !t.Matches)));
            Assert.Contains("anon", full.CreatedRoles);
            Assert.Contains("supabase_auth_admin", full.CreatedRoles);
            Assert.Equal(rows, await PlainAsync(plain2, RowsSql));
            Assert.Equal(new[] { "supabase_auth_admin" }, await PlainAsync(plain2, "select pg_get_userbyid(relowner) from pg_class where oid = 'auth.users'::regclass"));
            Assert.Equal(new[] { "False" }, await PlainAsync("postgres", "select rolcanlogin from pg_roles where rolname = 'anon'"));
            Assert.Empty(await PlainAsync(plain2, "select 1 from pg_event_trigger"));
        }
        finally
        {
            await SupabaseBed.DropAsync(src);
            await DropPlainAsync(new[] { plain1, plain2 }, created);
        }
    }

    [Fact]
    public async Task The_projects_own_roles_come_back_from_a_backup_made_with_IncludeRoles()
    {
        var role = "ops_" + Guid.NewGuid().ToString("N")[..8];
        var src = await SupabaseBed.NewProjectAsync(1, $"create role {role} nologin connection limit 7; grant select on public.backup_audit_log to {role}; grant authenticated to {role};");
        var plain = "xt_plain_" + Guid.NewGuid().ToString("N")[..8];
        var created = new List<string>();
        try
        {
            var backup = await BackupAsync(src, includeRoles: true);
            var manifest = await File.ReadAllTextAsync(backup.ManifestLocation);
            Assert.Contains(role, manifest);
            var rolesSql = await File.ReadAllTextAsync(backup.Location + ManifestRoles.Suffix);
            Assert.Contains($"CREATE ROLE {role};", rolesSql);
            Assert.Contains("reporting", rolesSql);
            Assert.DoesNotContain("anon;", rolesSql.Replace($"GRANT authenticated TO {role}", ""));
            Assert.DoesNotContain("PASSWORD", rolesSql);

            var result = await RestoreAsync(backup, TestServers.PgUrl(plain), new Host(), TargetKind.PostgreSQL, createDatabase: true, createMissingRoles: true);
            created.AddRange(result!.CreatedRoles);
            Assert.True(result.Verified, string.Join("; ", result.Tables.Where(t => !t.Matches)));
            Assert.Contains(role, result.CreatedRoles);
            // From the stored roles, not a bare NOLOGIN: its connection limit, membership and grant.
            Assert.Equal(new[] { "7|False" }, await PlainAsync("postgres", $"select rolconnlimit, rolcanlogin from pg_roles where rolname = '{role}'"));
            Assert.Equal(new[] { "True" }, await PlainAsync("postgres", $"select pg_has_role('{role}', 'authenticated', 'MEMBER')"));
            Assert.Equal(new[] { "True" }, await PlainAsync(plain, $"select has_table_privilege('{role}', 'public.backup_audit_log', 'SELECT')"));
        }
        finally
        {
            await SupabaseBed.DropAsync(src);
            await DropPlainAsync(new[] { plain }, created);
            await SupabaseBed.ExecAsync("postgres", $"drop role if exists {role}", "supabase_admin");
        }
    }

    [Fact]
    public async Task A_supabase_backup_is_drilled_on_a_plain_scratch_server_with_its_roles_created()
    {
        var src = await SupabaseBed.NewProjectAsync(1);
        var created = new List<string>();
        await DropLeftoverSupabaseRolesAsync();
        try
        {
            var backup = await BackupAsync(src);
            var before = (await PlainAsync("postgres", "select rolname from pg_roles")).ToHashSet();
            var result = await new ClutterDR.Drill.DrillService(new Host()).RunAsync(new ClutterDR.Drill.DrillRequest
            {
                Backup = BackupLocation.Parse(backup.Location), Server = PgConnectionSettings.Parse(TestServers.PgUrl("postgres")),
                CreateMissingRoles = true, RequiredExtensions = ["pg_trgm"],
                Queries = [new("users came back", "select count(*) = 500 from auth.users")],
            }, CancellationToken.None);
            created.AddRange((await PlainAsync("postgres", "select rolname from pg_roles")).Where(r => !before.Contains(r)));
            Assert.NotNull(result);
            Assert.True(result!.Passed, string.Join("; ", result.Failures));
            Assert.Contains(result.Tables, t => t.QualifiedName == "auth.users" && t.Ok);
            Assert.Contains("anon", created);
            Assert.Empty(await PlainAsync("postgres", $"select datname from pg_database where datname = '{result.ScratchDatabase}'"));
        }
        finally
        {
            await SupabaseBed.DropAsync(src);
            await DropPlainAsync([], created);
        }
    }

    [Fact]
    public async Task TargetKind_Supabase_onto_plain_postgresql_and_an_extension_the_project_lacks_are_refused_before_anything_changes()
    {
        var src = await SupabaseBed.NewProjectAsync(null, "create extension pg_buffercache schema extensions; create table public.t (id int primary key);");
        var dst = await SupabaseBed.NewProjectAsync(null);
        try
        {
            var backup = await BackupAsync(src);
            var e = await Assert.ThrowsAsync<ClutterException>(() => RestoreAsync(backup, TestServers.PgUrl("postgres"), new Host(), TargetKind.Supabase));
            Assert.True(e.Is(Errors.TargetNotSupabase), e.ErrorId);

            var before = await SupabaseBed.FingerprintAsync(dst);
            e = await Assert.ThrowsAsync<ClutterException>(() => RestoreAsync(backup, SupabaseBed.Url(dst), new Host()));
            Assert.True(e.Is(Errors.ExtensionNotAvailable), e.ErrorId);
            Assert.Contains("pg_buffercache", e.Message);
            Assert.Equal(before, await SupabaseBed.FingerprintAsync(dst));
        }
        finally { await SupabaseBed.DropAsync(src, dst); }
    }

    [Fact]
    public void Roles_named_by_grants_default_privileges_and_policies_are_found_and_PUBLIC_is_not_a_role()
    {
        var acl = new ArchiveEntry(1, "ACL", "public", "TABLE dumps", "") { Sql = "REVOKE ALL ON TABLE public.dumps FROM PUBLIC;\nGRANT SELECT,INSERT ON TABLE public.dumps TO authenticated;\nGRANT ALL ON TABLE public.dumps TO \"My Role\", service_role WITH GRANT OPTION;\n" };
        Assert.Equal(new[] { "authenticated", "My Role", "service_role" }, ProfileRestorePlan.RolesNamed(acl).ToArray());
        var policy = new ArchiveEntry(2, "POLICY", "public", "dumps own", "") { Sql = "CREATE POLICY \"own\" ON public.dumps TO authenticated, anon USING ((user_id = auth.uid()));\n" };
        Assert.Equal(new[] { "authenticated", "anon" }, ProfileRestorePlan.RolesNamed(policy).ToArray());
        var defaults = new ArchiveEntry(3, "DEFAULT ACL", "public", "DEFAULT PRIVILEGES FOR TABLES", "") { Sql = "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON TABLES TO anon;\n" };
        Assert.Equal(new[] { "anon" }, ProfileRestorePlan.RolesNamed(defaults).ToArray());
    }

    [Fact]
    public void A_roles_dump_keeps_the_projects_roles_without_passwords_or_attributes_only_a_superuser_gives()
    {
        var dump = """
            --
            SET default_transaction_read_only = off;
            CREATE ROLE anon;
            ALTER ROLE anon WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
            CREATE ROLE reporting;
            ALTER ROLE reporting WITH SUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN REPLICATION BYPASSRLS PASSWORD 'md5abc';
            CREATE ROLE pg_x;
            GRANT authenticated TO reporting GRANTED BY supabase_admin;
            GRANT reporting TO postgres GRANTED BY postgres;
            """;
        var (sql, roles) = PgRoles.Filter(dump, "postgres");
        Assert.Equal(new[] { "reporting" }, roles);
        Assert.Equal("CREATE ROLE reporting;\nALTER ROLE reporting WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS;\nGRANT authenticated TO reporting;\n", sql);
        Assert.Equal(3, PgRoles.Parse(sql)["reporting"].Count);
    }

    private const string RowsSql = """
        select t, count(*) from (select 'auth.users' t from auth.users union all select 'auth.identities' from auth.identities
          union all select 'storage.objects' from storage.objects union all select 'public.dumps' from public.dumps) x group by t order by t;
        select md5(string_agg(u::text, ',' order by u.id)) from auth.users u;
        select md5(string_agg(i::text, ',' order by i.id)) from auth.identities i;
        """;

    private static async Task<List<string>> PlainAsync(string database, string sql)
    {
        await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = TestServers.PgHost, Port = int.Parse(TestServers.PgPort), Username = TestServers.PgUser, Password = TestServers.PgPassword, Database = database, Pooling = false,
        }.ConnectionString);
        await c.OpenAsync();
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

    /// <summary>Roles an earlier run left in the plain cluster (they outlive its databases), so that they count as missing again.</summary>
    private static async Task DropLeftoverSupabaseRolesAsync()
    {
        foreach (var d in await PlainAsync("postgres", "select datname from pg_database where datname like 'xt\\_plain\\_%'"))
            await TestServers.ExecAsync("postgres", $"drop database if exists {d} with (force)");
        foreach (var r in PgPlatform.ReservedRoles.Where(r => r != TestServers.PgUser))
            try { await TestServers.ExecAsync("postgres", $"drop role if exists {PgCatalog.QuoteIdent(r)}"); } catch (PostgresException) { }
    }

    [Fact]
    public void On_plain_postgresql_without_them_supabases_own_extensions_are_left_out_with_what_their_schemas_hold()
    {
        var list = string.Join("\n",
            "1; 2615 1 SCHEMA - auth supabase_admin", "2; 2615 2 SCHEMA - storage supabase_admin", "3; 2615 3 SCHEMA - graphql supabase_admin",
            "4; 3079 4 EXTENSION - pg_graphql ", "5; 0 0 COMMENT - EXTENSION pg_graphql ", "6; 1259 6 TABLE graphql seq supabase_admin",
            "7; 3079 7 EXTENSION - pgcrypto ", "8; 1259 8 TABLE public t postgres");
        var archive = ArchiveObjects.Parse(list, "");
        var target = new PgPlatform { CurrentUser = "postgres", IsSuperuser = true, Roles = new HashSet<string> { "postgres", "supabase_admin" },
            MemberOf = new HashSet<string> { "postgres" }, Creatable = new Dictionary<string, bool> { ["pgcrypto"] = true } };
        var plan = ProfileRestorePlan.ForPostgreSql(archive, target, new ProfileOptions { Kind = TargetKind.PostgreSQL });
        Assert.Equal(new[] { "1", "2", "7", "8" }, plan.ListLines.Select(l => l.Split(';')[0]).ToArray());
        Assert.Contains(plan.LeftOut, l => l.Contains("pg_graphql", StringComparison.Ordinal));
        // An extension of the project's own that the server lacks is still an error, naming it.
        var strict = new PgPlatform { CurrentUser = "postgres", IsSuperuser = true, Roles = target.Roles, MemberOf = target.MemberOf };
        var e = Assert.Throws<ClutterException>(() => ProfileRestorePlan.ForPostgreSql(archive, strict, new ProfileOptions { Kind = TargetKind.PostgreSQL }));
        Assert.True(e.Is(Errors.ExtensionNotAvailable));
        Assert.Contains("pgcrypto", e.Message);
    }

    /// <summary>The plain databases, then the roles the restore created in the plain cluster.</summary>
    private static async Task DropPlainAsync(IEnumerable<string> databases, IEnumerable<string> roles)
    {
        foreach (var d in databases) await TestServers.ExecAsync("postgres", $"drop database if exists {d} with (force)");
        foreach (var r in roles)
            try { await TestServers.ExecAsync("postgres", $"drop role if exists {PgCatalog.QuoteIdent(r)}"); } catch (PostgresException) { }
    }
}
