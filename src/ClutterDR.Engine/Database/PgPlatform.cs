using Npgsql;

namespace ClutterDR.Database;

/// <summary>One policy or trigger a target already has on a table: (schema, table, name).</summary>
public sealed record TableObjectName(string Schema, string Table, string Name);

/// <summary>
/// What a restore needs to know of its target before it plans: who connects (superuser or not), which roles and
/// schemas exist, and, for a Supabase project, what the platform has already (triggers and policies on its
/// managed tables, the tables the connected role may write, extensions installed or creatable, and the connected
/// role's default privileges). Read in one round trip; nothing is changed.
/// </summary>
public sealed class PgPlatform
{
    /// <summary>The schemas Supabase manages (created and owned by the platform, present in every new project).</summary>
    public static readonly IReadOnlySet<string> ManagedSchemas = new HashSet<string>(StringComparer.Ordinal)
    {
        "auth", "storage", "realtime", "_realtime", "supabase_functions", "graphql", "graphql_public", "extensions", "vault",
        "pgsodium", "pgsodium_masks", "net", "cron", "pgbouncer", "pgtle", "_analytics", "supabase_admin",
    };

    /// <summary>The platform's migration-history tables: a new project has its own rows, never the backup's.</summary>
    public static readonly IReadOnlySet<(string, string)> MigrationTables = new HashSet<(string, string)>
    {
        ("auth", "schema_migrations"), ("storage", "migrations"), ("realtime", "schema_migrations"), ("supabase_functions", "migrations"),
    };

    /// <summary>Roles every Supabase project has and the platform owns: never created, altered or stored by a backup.</summary>
    public static readonly IReadOnlySet<string> ReservedRoles = new HashSet<string>(StringComparer.Ordinal)
    {
        "postgres", "supabase_admin", "supabase_auth_admin", "supabase_storage_admin", "supabase_functions_admin",
        "supabase_replication_admin", "supabase_read_only_user", "supabase_realtime_admin", "supabase_etl_admin",
        "authenticator", "anon", "authenticated", "service_role", "dashboard_user", "pgbouncer", "pgsodium_keyholder",
        "pgsodium_keyiduser", "pgsodium_keymaker", "supabase_superuser", "pgtle_admin", "cloudsqlsuperuser",
    };

    public string CurrentUser { get; init; } = "";
    public bool IsSuperuser { get; init; }
    public IReadOnlySet<string> Roles { get; init; } = new HashSet<string>();
    /// <summary>Roles the connected role is a member of (with their privileges), itself included.</summary>
    public IReadOnlySet<string> MemberOf { get; init; } = new HashSet<string>();
    public IReadOnlySet<string> Schemas { get; init; } = new HashSet<string>();
    public IReadOnlySet<TableObjectName> Triggers { get; init; } = new HashSet<TableObjectName>();
    public IReadOnlySet<TableObjectName> Policies { get; init; } = new HashSet<TableObjectName>();
    /// <summary>The functions (schema.name(args)) that triggers on managed tables run: a -Clean may not drop them.</summary>
    public IReadOnlySet<string> ManagedTriggerFunctions { get; init; } = new HashSet<string>();
    /// <summary>Tables of managed schemas: (schema, table) -> their owner.</summary>
    public IReadOnlyDictionary<(string, string), string> ManagedTableOwners { get; init; } = new Dictionary<(string, string), string>();
    /// <summary>Tables of managed schemas the connected role may INSERT into (and TRUNCATE, for -Clean).</summary>
    public IReadOnlySet<(string, string)> Writable { get; init; } = new HashSet<(string, string)>();
    public IReadOnlySet<(string, string)> Truncatable { get; init; } = new HashSet<(string, string)>();
    public IReadOnlySet<string> Extensions { get; init; } = new HashSet<string>();
    /// <summary>Extensions the server has but the database has not: name -> whether the connected role may create it.</summary>
    public IReadOnlyDictionary<string, bool> Creatable { get; init; } = new Dictionary<string, bool>();
    /// <summary>The connected role's default privileges: (schema or "" for all schemas, object type letter, grantee or "" for PUBLIC).</summary>
    public IReadOnlyList<(string Schema, char Type, string Grantee)> DefaultAcl { get; init; } = [];

    /// <summary>A Supabase project: its platform roles and managed schemas are there.</summary>
    public bool IsSupabase =>
        Roles.Contains("supabase_admin") && Roles.Contains("anon") && Roles.Contains("authenticated") && Roles.Contains("service_role")
        && Schemas.Contains("auth") && Schemas.Contains("storage");

    /// <summary>Why the target was judged as it was, for -Verbose.</summary>
    public string Evidence => IsSupabase
        ? "roles supabase_admin, anon, authenticated, service_role and schemas auth, storage are there"
        : $"{(Roles.Contains("supabase_admin") ? "" : "no role supabase_admin")}{(Schemas.Contains("auth") ? "" : (Roles.Contains("supabase_admin") ? "" : ", ") + "no schema auth")}".Trim(',', ' ');

    /// <summary>True when the connected role may create a policy on the managed table (its owner, a member of the owner, or a superuser).</summary>
    public bool CanAlter(string schema, string table) =>
        IsSuperuser || (ManagedTableOwners.TryGetValue((schema, table), out var owner) && MemberOf.Contains(owner));

    private const string Sql = """
        select current_user::text, (select rolsuper from pg_roles where rolname = current_user);
        select rolname::text, pg_has_role(current_user, oid, 'USAGE') from pg_roles;
        select nspname::text from pg_namespace;
        select n.nspname::text, c.relname::text, t.tgname::text, pn.nspname || '.' || p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')'
          from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
          join pg_proc p on p.oid = t.tgfoid join pg_namespace pn on pn.oid = p.pronamespace where not t.tgisinternal;
        select schemaname::text, tablename::text, policyname::text from pg_policies;
        select n.nspname::text, c.relname::text, pg_get_userbyid(c.relowner)::text,
               has_table_privilege(c.oid, 'INSERT'), has_table_privilege(c.oid, 'TRUNCATE')
          from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p') and n.nspname = any(@managed);
        select extname::text from pg_extension;
        select a.name::text, bool_or(v.trusted) or (select rolsuper from pg_roles where rolname = current_user)
          from pg_available_extensions a join pg_available_extension_versions v on v.name = a.name
          where a.installed_version is null group by a.name;
        select coalesce(n.nspname, '')::text, d.defaclobjtype::text, coalesce(pg_get_userbyid(nullif(x.grantee, 0)), '')::text
          from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace, aclexplode(d.defaclacl) x
          where d.defaclrole = (select oid from pg_roles where rolname = current_user) and x.grantee <> d.defaclrole;
        """;

    /// <summary>The facts of the database <paramref name="connection"/> is open on.</summary>
    public static async Task<PgPlatform> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(Sql, connection);
        cmd.Parameters.AddWithValue("managed", ManagedSchemas.ToArray());
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await r.ReadAsync(cancellationToken).ConfigureAwait(false);
        var user = r.GetString(0);
        var super = !r.IsDBNull(1) && r.GetBoolean(1);
        var roles = new HashSet<string>(StringComparer.Ordinal);
        var member = new HashSet<string>(StringComparer.Ordinal);
        await r.NextResultAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false)) { roles.Add(r.GetString(0)); if (r.GetBoolean(1)) member.Add(r.GetString(0)); }
        var schemas = await ReadSetAsync(r, x => x.GetString(0), cancellationToken).ConfigureAwait(false);
        var triggerRows = await ReadSetAsync(r, x => (new TableObjectName(x.GetString(0), x.GetString(1), x.GetString(2)), x.GetString(3)), cancellationToken).ConfigureAwait(false);
        var triggers = triggerRows.Select(t => t.Item1).ToHashSet();
        var triggerFunctions = triggerRows.Where(t => ManagedSchemas.Contains(t.Item1.Schema)).Select(t => t.Item2).ToHashSet(StringComparer.Ordinal);
        var policies = await ReadSetAsync(r, x => new TableObjectName(x.GetString(0), x.GetString(1), x.GetString(2)), cancellationToken).ConfigureAwait(false);
        var owners = new Dictionary<(string, string), string>();
        var writable = new HashSet<(string, string)>();
        var truncatable = new HashSet<(string, string)>();
        await r.NextResultAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var key = (r.GetString(0), r.GetString(1));
            owners[key] = r.GetString(2);
            if (r.GetBoolean(3)) writable.Add(key);
            if (r.GetBoolean(4)) truncatable.Add(key);
        }
        var extensions = await ReadSetAsync(r, x => x.GetString(0), cancellationToken).ConfigureAwait(false);
        var creatable = new Dictionary<string, bool>(StringComparer.Ordinal);
        await r.NextResultAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false)) creatable[r.GetString(0)] = !r.IsDBNull(1) && r.GetBoolean(1);
        var acl = new List<(string, char, string)>();
        await r.NextResultAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false)) acl.Add((r.GetString(0), r.GetString(1)[0], r.GetString(2)));
        return new PgPlatform
        {
            CurrentUser = user, IsSuperuser = super, Roles = roles, MemberOf = member, Schemas = schemas, Triggers = triggers, ManagedTriggerFunctions = triggerFunctions,
            Policies = policies, ManagedTableOwners = owners, Writable = writable, Truncatable = truncatable,
            Extensions = extensions, Creatable = creatable, DefaultAcl = acl,
        };
    }

    /// <summary>The target database's facts; for a database still to be created, the server's (roles, extensions) and an empty database's.</summary>
    public static async Task<PgPlatform> ReadAsync(PgConnectionSettings target, bool exists, CancellationToken cancellationToken)
    {
        if (exists)
        {
            await using var c = await PgErrors.OpenAsync(target, cancellationToken).ConfigureAwait(false);
            return await ReadAsync(c, cancellationToken).ConfigureAwait(false);
        }
        await using var m = await PgDatabases.OpenMaintenanceAsync(target, cancellationToken).ConfigureAwait(false);
        var server = await ReadAsync(m, cancellationToken).ConfigureAwait(false);
        return new PgPlatform
        {
            CurrentUser = server.CurrentUser, IsSuperuser = server.IsSuperuser, Roles = server.Roles, MemberOf = server.MemberOf,
            Schemas = new HashSet<string> { "public" }, Extensions = new HashSet<string> { "plpgsql" },
            Creatable = server.Creatable.Concat(server.Extensions.Where(e => e != "plpgsql" && !server.Creatable.ContainsKey(e))
                .Select(e => KeyValuePair.Create(e, server.IsSuperuser))).ToDictionary(kv => kv.Key, kv => kv.Value),
        };
    }

    /// <summary>Whether the database <paramref name="connection"/> is open on is a Supabase project (for a backup's manifest).</summary>
    public static async Task<bool> IsSupabaseAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            select exists (select from pg_roles where rolname = 'supabase_admin') and exists (select from pg_roles where rolname = 'anon')
               and exists (select from pg_namespace where nspname = 'auth') and exists (select from pg_namespace where nspname = 'storage')
            """, connection);
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task<HashSet<T>> ReadSetAsync<T>(NpgsqlDataReader r, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var set = new HashSet<T>();
        await r.NextResultAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false)) set.Add(read(r));
        return set;
    }
}
