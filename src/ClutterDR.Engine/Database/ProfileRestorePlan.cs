using System.Text;
using System.Text.RegularExpressions;

namespace ClutterDR.Database;

/// <summary>What kind of database a restore goes into: detected (Auto), a Supabase project, or plain PostgreSQL.</summary>
public enum TargetKind { Auto, Supabase, PostgreSQL }

/// <summary>How a Supabase backup is restored onto plain PostgreSQL when the roles it names are missing.</summary>
public sealed record ProfileOptions
{
    public TargetKind Kind { get; init; }
    public bool Clean { get; init; }
    public bool NoOwner { get; init; }
    /// <summary>Creates the roles the archive names and the target lacks, NOLOGIN, in the restore's transaction.</summary>
    public bool CreateMissingRoles { get; init; }
    /// <summary>Skips every GRANT/REVOKE, default privilege and owner entry (and policies naming a missing role).</summary>
    public bool NoPrivileges { get; init; }
    /// <summary>Roles stored with the backup (-IncludeRoles): name -> its statements (CREATE ROLE, ALTER ROLE, GRANT).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> StoredRoles { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}

/// <summary>
/// A whole-archive restore shaped for its target (pg_restore -L of the entries kept, run by psql in one
/// transaction after a prelude): for a Supabase project, exactly what belongs to the project and nothing the
/// platform owns; for plain PostgreSQL, a Supabase archive with its platform parts made to fit (roles created or
/// privileges left out). Pure: decided from the archive's table of contents and the target's facts.
/// </summary>
public sealed partial class ProfileRestorePlan
{
    public required TargetKind Kind { get; init; }
    public required IReadOnlyList<string> ListLines { get; init; }
    public required string Prelude { get; init; }
    /// <summary>pg_restore's own switches: --no-owner, --no-privileges.</summary>
    public bool NoOwner { get; init; }
    public bool NoPrivileges { get; init; }
    public bool Clean { get; init; }
    /// <summary>What was left out and why, one line per kind of entry, for -Verbose.</summary>
    public IReadOnlyList<string> LeftOut { get; init; } = [];
    /// <summary>Entries the target does not let the connected role restore: a warning each.</summary>
    public IReadOnlyList<string> NotRestorable { get; init; } = [];
    /// <summary>Roles created in the restore's transaction.</summary>
    public IReadOnlyList<string> CreatedRoles { get; init; } = [];
    /// <summary>Tables whose rows are restored (and so verified).</summary>
    public IReadOnlySet<(string, string)> DataTables { get; init; } = new HashSet<(string, string)>();
    /// <summary>Tables whose definition is the archive's (verified); a managed table keeps the platform's.</summary>
    public IReadOnlySet<(string, string)> DefinedTables { get; init; } = new HashSet<(string, string)>();
    /// <summary>Whether the grants end as the archive's (verified).</summary>
    public bool GrantsRestored => !NoPrivileges;

    /// <summary>
    /// The extensions every Supabase project has by default that only Supabase ships (and the schemas they own):
    /// on plain PostgreSQL that lacks them they are left out, with what lives in their schemas, not a failed drill.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> PlatformExtensions = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["pg_graphql"] = ["graphql"], ["supabase_vault"] = ["vault"], ["pgsodium"] = ["pgsodium", "pgsodium_masks"],
    };

    /// <summary>An archive taken of a Supabase project: its managed schemas and platform roles are in it.</summary>
    public static bool IsSupabaseArchive(ArchiveObjects archive) =>
        archive.Entries.Any(e => e.Desc == "SCHEMA" && e.Tag == "auth") && archive.Entries.Any(e => e.Desc == "SCHEMA" && e.Tag == "storage")
        && archive.Entries.Any(e => Owner(e) == "supabase_admin");

    /// <summary>The entry's owner: the last word of its list line (empty for entries without one).</summary>
    public static string Owner(ArchiveEntry e)
    {
        var sp = e.Rest.LastIndexOf(' ');
        return sp < 0 ? "" : e.Rest[(sp + 1)..];
    }

    private static bool Managed(string schema) => PgPlatform.ManagedSchemas.Contains(schema);

    /// <summary>"SCHEMA auth" / "auth": the schema an entry without one (schema "-") is about.</summary>
    private static string? AboutSchema(ArchiveEntry e) =>
        e.Desc == "SCHEMA" ? e.Tag : e.Tag.StartsWith("SCHEMA ", StringComparison.Ordinal) ? e.Tag[7..] : null;

    /// <summary>The name of a trigger or policy: its tag after the table's name.</summary>
    private static string ObjectName(ArchiveEntry e) =>
        e.Table is { } t && e.Tag.StartsWith(t.Name + " ", StringComparison.Ordinal) ? e.Tag[(t.Name.Length + 1)..] : e.Tag;

    /// <summary>The plan for a Supabase project target.</summary>
    public static ProfileRestorePlan ForSupabase(ArchiveObjects archive, PgPlatform target, ProfileOptions options)
    {
        var keep = new List<ArchiveEntry>();
        var left = new Dictionary<string, int>(StringComparer.Ordinal);
        var notRestorable = new List<string>();
        var data = new HashSet<(string, string)>();
        var defined = new HashSet<(string, string)>();
        void Leave(string why) => left[why] = left.GetValueOrDefault(why) + 1;

        foreach (var e in archive.Entries)
        {
            var about = AboutSchema(e);
            switch (e.Desc)
            {
                case "EVENT TRIGGER": Leave("event triggers (the platform's own)"); continue;
                case "PUBLICATION" when e.Tag == "supabase_realtime": Leave("the supabase_realtime publication itself (the project has it; its tables are kept)"); continue;
                case "COMMENT" when e.Schema == "-" && e.Tag.StartsWith("EXTENSION ", StringComparison.Ordinal): Leave("comments on extensions"); continue;
                case "EXTENSION" when target.Extensions.Contains(e.Tag): Leave("extensions the project has already"); continue;
                case "DEFAULT ACL" when Owner(e) != target.CurrentUser: Leave($"default privileges of roles other than {target.CurrentUser}"); continue;
            }
            if (about is not null && Managed(about) && e.Schema == "-") { Leave("the managed schemas' own definitions, comments and grants"); continue; }
            if (!Managed(e.Schema))
            {
                if (options.Clean && e.Desc == "FUNCTION" && target.ManagedTriggerFunctions.Contains($"{e.Schema}.{e.Tag}"))
                {
                    notRestorable.Add($"function {e.Schema}.{e.Tag} (-Clean keeps the target's: a trigger on a managed table runs it, and only that table's owner may drop the trigger)");
                    continue;
                }
                keep.Add(e);
                if (e.Desc == "TABLE DATA") data.Add((e.Schema, e.Tag));
                if (e.Desc == "TABLE") defined.Add((e.Schema, e.Tag));
                continue;
            }
            switch (e.Desc)
            {
                case "TABLE DATA" when PgPlatform.MigrationTables.Contains((e.Schema, e.Tag)):
                    Leave("the platform's migration history"); break;
                case "TABLE DATA" when target.Writable.Contains((e.Schema, e.Tag)):
                    keep.Add(e); data.Add((e.Schema, e.Tag)); break;
                case "TABLE DATA":
                    notRestorable.Add($"the rows of {e.Schema}.{e.Tag} ({(target.ManagedTableOwners.ContainsKey((e.Schema, e.Tag)) ? $"{target.CurrentUser} may not insert into it" : "the project has no such table")})"); break;
                case "SEQUENCE SET" when e.Table is not { } st || target.Writable.Contains(st):
                    keep.Add(e); break;
                case "TRIGGER" when e.Table is { } tt && !target.Triggers.Contains(new TableObjectName(tt.Schema, tt.Name, ObjectName(e))):
                    keep.Add(e); break;
                case "POLICY" when e.Table is { } pt && !target.Policies.Contains(new TableObjectName(pt.Schema, pt.Name, ObjectName(e))):
                    if (target.CanAlter(pt.Schema, pt.Name)) keep.Add(e);
                    else notRestorable.Add($"policy \"{ObjectName(e)}\" on {pt.Schema}.{pt.Name} (only its owner {target.ManagedTableOwners.GetValueOrDefault((pt.Schema, pt.Name), "?")} may create it on this server; on Supabase, supautils lets postgres: restore it with the SQL from the backup)");
                    break;
                default: Leave("the managed schemas' tables, functions, types, indexes, constraints, policies and grants (the project has its own)"); break;
            }
        }
        CheckExtensions(keep, target);
        var (roles, prelude) = RolesAndSuspensions(keep, target, options, data, options.Clean);
        if (options.NoPrivileges)
        {
            foreach (var e in keep.Where(e => e.Desc == "POLICY" && NamesMissingRole(e, target, roles) && e.Table is not null)) defined.Remove(e.Table!.Value);
            keep = keep.Where(e => !IsPrivilegeEntry(e) && !(e.Desc == "POLICY" && NamesMissingRole(e, target, roles))).ToList();
        }
        return new ProfileRestorePlan
        {
            Kind = TargetKind.Supabase, ListLines = keep.Select(e => e.Line).ToList(), Prelude = "SET session_replication_role = replica;\n" + prelude,
            NoOwner = options.NoOwner || options.NoPrivileges, NoPrivileges = options.NoPrivileges, Clean = options.Clean,
            LeftOut = left.Select(kv => $"{kv.Key}: {kv.Value} entr{(kv.Value == 1 ? "y" : "ies")}").ToList(),
            NotRestorable = notRestorable, CreatedRoles = roles, DataTables = data, DefinedTables = defined,
        };
    }

    /// <summary>The plan for plain PostgreSQL: the whole archive, the platform's event triggers left out, roles created or privileges skipped.</summary>
    public static ProfileRestorePlan ForPostgreSql(ArchiveObjects archive, PgPlatform target, ProfileOptions options)
    {
        var keep = new List<ArchiveEntry>();
        var left = new List<string>();
        var events = archive.Entries.Count(e => e.Desc == "EVENT TRIGGER");
        if (events > 0) left.Add($"event triggers (Supabase's platform, which needs a superuser and has no use outside it): {events}");
        var owners = archive.Entries.Select(Owner).Where(o => o.Length > 0).ToHashSet(StringComparer.Ordinal);
        // Objects can be given to another role only by a superuser or a member of it.
        var noOwner = options.NoOwner || options.NoPrivileges || (!target.IsSuperuser && owners.Any(o => !target.MemberOf.Contains(o)));
        if (noOwner && !options.NoOwner && !options.NoPrivileges)
            left.Add($"owners: {target.CurrentUser} owns every object restored (it may not give objects to {string.Join(", ", owners.Where(o => !target.MemberOf.Contains(o)).Order(StringComparer.Ordinal).Take(5))})");
        var data = new HashSet<(string, string)>();
        var defined = new HashSet<(string, string)>();
        // Supabase's own extensions this server cannot give: left out with their schemas' contents.
        var absent = ProfileRestorePlan.IsSupabaseArchive(archive)
            ? archive.Entries.Where(e => e.Desc == "EXTENSION" && PlatformExtensions.ContainsKey(e.Tag) && !target.Extensions.Contains(e.Tag) && !target.Creatable.GetValueOrDefault(e.Tag))
                .Select(e => e.Tag).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);
        var absentSchemas = absent.SelectMany(x => PlatformExtensions[x]).ToHashSet(StringComparer.Ordinal);
        if (absent.Count > 0)
            left.Add($"Supabase's own extensions this server does not have, with what their schemas hold: {string.Join(", ", absent.Order(StringComparer.Ordinal))}");
        foreach (var e in archive.Entries)
        {
            if (e.Desc == "EVENT TRIGGER") continue;
            if (e.Desc == "EXTENSION" && absent.Contains(e.Tag)) continue;
            if (e.Desc == "COMMENT" && e.Schema == "-" && e.Tag.StartsWith("EXTENSION ", StringComparison.Ordinal) && absent.Contains(e.Tag[10..].Trim('"'))) continue;
            if (absentSchemas.Contains(e.Schema) || (AboutSchema(e) is { } sc && e.Schema == "-" && absentSchemas.Contains(sc))) continue;
            if (e.Desc == "EXTENSION" && target.Extensions.Contains(e.Tag)) continue;
            if (e.Desc == "COMMENT" && e.Schema == "-" && e.Tag.StartsWith("EXTENSION ", StringComparison.Ordinal) && target.Extensions.Contains(e.Tag[10..].Trim('"'))) continue;
            keep.Add(e);
            if (e.Desc == "TABLE DATA") data.Add((e.Schema, e.Tag));
            if (e.Desc == "TABLE") defined.Add((e.Schema, e.Tag));
        }
        CheckExtensions(keep, target);
        var (roles, prelude) = RolesAndSuspensions(keep, target, options with { NoOwner = noOwner }, data, clean: false);
        if (options.NoPrivileges)
        {
            var before = keep.Count;
            // A table whose policies are left out is not the archive's table: its definition is not compared.
            foreach (var e in keep.Where(e => e.Desc == "POLICY" && NamesMissingRole(e, target, roles) && e.Table is not null)) defined.Remove(e.Table!.Value);
            keep = keep.Where(e => !(e.Desc == "POLICY" && NamesMissingRole(e, target, roles))).ToList();
            if (keep.Count < before) left.Add($"policies naming roles this server lacks (-NoPrivileges): {before - keep.Count}");
        }
        return new ProfileRestorePlan
        {
            Kind = TargetKind.PostgreSQL, ListLines = keep.Select(e => e.Line).ToList(), Prelude = prelude,
            NoOwner = noOwner, NoPrivileges = options.NoPrivileges, Clean = options.Clean, LeftOut = left,
            CreatedRoles = roles, DataTables = data, DefinedTables = defined,
        };
    }

    /// <summary>ExtensionNotAvailable, before anything changes, for an extension the target lacks and the connected role may not create.</summary>
    private static void CheckExtensions(List<ArchiveEntry> keep, PgPlatform target)
    {
        var blocked = keep.Where(e => e.Desc == "EXTENSION" && !target.Extensions.Contains(e.Tag) && !target.Creatable.GetValueOrDefault(e.Tag))
            .Select(e => target.Creatable.ContainsKey(e.Tag) ? $"{e.Tag} (only a superuser may create it)" : $"{e.Tag} (not installed on this server)").ToList();
        if (blocked.Count > 0)
            throw new ClutterException(Errors.ExtensionNotAvailable,
                $"The backup uses extensions the target does not have and {target.CurrentUser} may not create: {string.Join(", ", blocked)}. Nothing was changed. " +
                "Enable them first (on Supabase: Database, Extensions in the dashboard; elsewhere CREATE EXTENSION as a superuser, after installing the package), then restore again.",
                string.Join(", ", blocked));
    }

    private static bool IsPrivilegeEntry(ArchiveEntry e) => e.Desc is "ACL" or "DEFAULT ACL";

    private static bool NamesMissingRole(ArchiveEntry e, PgPlatform target, IReadOnlyList<string> created) =>
        RolesNamed(e).Any(r => !target.Roles.Contains(r) && !created.Contains(r));

    /// <summary>
    /// The roles missing on the target that the kept entries name, created (from the backup's stored roles, or
    /// NOLOGIN with -CreateMissingRoles); RolesMissing when neither applies. Then the connected role's default
    /// privileges, suspended for the load so that every object ends with exactly the archive's grants (the archive's
    /// own DEFAULT ACL entries put back what the source had), and with -Clean the managed tables emptied.
    /// </summary>
    private static (IReadOnlyList<string> Created, string Prelude) RolesAndSuspensions(List<ArchiveEntry> keep, PgPlatform target, ProfileOptions options,
        IReadOnlySet<(string, string)> data, bool clean)
    {
        var named = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var e in keep)
        {
            if (!options.NoPrivileges) foreach (var r in RolesNamed(e)) named.Add(r);
            if (!options.NoOwner && !options.NoPrivileges && Owner(e) is { Length: > 0 } o) named.Add(o);
        }
        var missing = named.Where(r => !target.Roles.Contains(r)).ToList();
        var sql = new StringBuilder();
        var created = new List<string>();
        var unresolved = new List<string>();
        foreach (var role in missing)
        {
            if (options.StoredRoles.TryGetValue(role, out var statements))
            {
                foreach (var s in statements) sql.Append(s).Append('\n');
                created.Add(role);
            }
            else if (options.CreateMissingRoles) { sql.Append($"CREATE ROLE {PgCatalog.QuoteIdent(role)} NOLOGIN;\n"); created.Add(role); }
            else unresolved.Add(role);
        }
        if (unresolved.Count > 0 && !options.NoPrivileges)
            throw new ClutterException(Errors.RolesMissing,
                $"The backup grants to or is owned by roles this server does not have: {string.Join(", ", unresolved)}. Nothing was changed. " +
                "Add -CreateMissingRoles to create them (NOLOGIN) in this cluster, -NoPrivileges to restore without grants and owners, or create them first; " +
                "a backup made with -IncludeRoles creates the project's own roles by itself.",
                string.Join(", ", unresolved));
        // Stored roles' memberships may name each other: grants after every CREATE ROLE.
        var text = sql.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var ordered = text.Where(l => !l.StartsWith("GRANT ", StringComparison.Ordinal)).Concat(text.Where(l => l.StartsWith("GRANT ", StringComparison.Ordinal)));
        var prelude = new StringBuilder(string.Join("\n", ordered));
        if (prelude.Length > 0) prelude.Append('\n');
        if (!options.NoPrivileges)
            foreach (var (schema, type, grantee) in target.DefaultAcl)
            {
                var on = type switch { 'r' => "TABLES", 'S' => "SEQUENCES", 'f' => "FUNCTIONS", 'T' => "TYPES", 'n' => "SCHEMAS", _ => null };
                if (on is null) continue;
                prelude.Append($"ALTER DEFAULT PRIVILEGES FOR ROLE {PgCatalog.QuoteIdent(target.CurrentUser)}{(schema.Length > 0 ? " IN SCHEMA " + PgCatalog.QuoteIdent(schema) : "")} REVOKE ALL ON {on} FROM {(grantee.Length > 0 ? PgCatalog.QuoteIdent(grantee) : "PUBLIC")};\n");
            }
        var managedData = data.Where(t => Managed(t.Item1)).ToList();
        if (clean && managedData.Count > 0)
            prelude.Append("TRUNCATE ").Append(string.Join(", ", managedData.Order().Select(t => PgCatalog.QuoteIdent(t.Item1) + "." + PgCatalog.QuoteIdent(t.Item2)))).Append(" CASCADE;\n");
        return (created, prelude.ToString());
    }

    /// <summary>The roles an entry's SQL grants to, revokes from or applies a policy to (never PUBLIC).</summary>
    public static IEnumerable<string> RolesNamed(ArchiveEntry e)
    {
        if (e.Desc is not ("ACL" or "DEFAULT ACL" or "POLICY")) yield break;
        foreach (var raw in e.Sql.Split('\n'))
        {
            var line = raw.Trim();
            var m = e.Desc == "POLICY" ? PolicyRoles().Match(line) : GrantRoles().Match(line);
            if (!m.Success) continue;
            foreach (Match r in Identifier().Matches(m.Groups["roles"].Value))
            {
                var name = r.Value.StartsWith('"') ? r.Value[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : r.Value;
                if (name != "PUBLIC" && name != "public") yield return name;
            }
        }
    }

    [GeneratedRegex("""^(?:GRANT|REVOKE|ALTER DEFAULT PRIVILEGES .*?(?:GRANT|REVOKE)) .*? (?:TO|FROM) (?<roles>(?:"(?:[^"]|"")+"|[\w$]+)(?:, *(?:"(?:[^"]|"")+"|[\w$]+))*)(?: WITH GRANT OPTION| GRANTED BY .*)?;$""")]
    private static partial Regex GrantRoles();

    [GeneratedRegex("""^CREATE POLICY .*? TO (?<roles>(?:"(?:[^"]|"")+"|[\w$]+)(?:, *(?:"(?:[^"]|"")+"|[\w$]+))*)(?: USING| WITH CHECK|;)""")]
    private static partial Regex PolicyRoles();

    [GeneratedRegex("""("(?:[^"]|"")+"|[\w$]+)""")]
    private static partial Regex Identifier();
}
