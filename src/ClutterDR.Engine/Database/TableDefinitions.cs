using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace ClutterDR.Database;

/// <summary>
/// A fingerprint of each table's definition: columns (name, type, not null, default), constraints,
/// indexes, triggers, row-level security and policies, as the server itself prints them with every name
/// schema-qualified. Taken at backup time (in the dump's snapshot) and after a restore, so a restore can
/// prove that a table came back whole, not only with the right number of rows. Owners and grants are
/// left out: -NoOwner and a target's default privileges change them on purpose.
/// </summary>
public static class TableDefinitions
{
    private const string Sql = """
        select n.nspname, c.relname, concat_ws(E'\n',
          (select string_agg(format('column %s %s%s%s', quote_ident(a.attname), pg_catalog.format_type(a.atttypid, a.atttypmod),
                   case when a.attnotnull then ' not null' else '' end,
                   coalesce(' default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid), '') ||
                   case a.attidentity when 'a' then ' identity always' when 'd' then ' identity by default' else '' end ||
                   case a.attgenerated when 's' then ' generated' else '' end), E'\n' order by a.attnum)
             from pg_catalog.pg_attribute a
             left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped),
          (select string_agg(format('constraint %s %s', quote_ident(k.conname), pg_catalog.pg_get_constraintdef(k.oid)), E'\n' order by k.conname)
             from pg_catalog.pg_constraint k where k.conrelid = c.oid),
          (select string_agg('index ' || pg_catalog.pg_get_indexdef(i.indexrelid), E'\n' order by pg_catalog.pg_get_indexdef(i.indexrelid))
             from pg_catalog.pg_index i where i.indrelid = c.oid),
          (select string_agg('trigger ' || pg_catalog.pg_get_triggerdef(t.oid), E'\n' order by t.tgname)
             from pg_catalog.pg_trigger t where t.tgrelid = c.oid and not t.tgisinternal),
          format('row security %s%s', c.relrowsecurity, case when c.relforcerowsecurity then ' forced' else '' end),
          (select string_agg(format('policy %s %s %s %s using (%s) with check (%s)', quote_ident(p.polname), p.polcmd,
                   case when p.polpermissive then 'permissive' else 'restrictive' end,
                   (select string_agg(case when r = 0 then 'public' else quote_ident(pg_catalog.pg_get_userbyid(r)) end, ',' order by r) from unnest(p.polroles) r),
                   coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), ''), coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), '')), E'\n' order by p.polname)
             from pg_catalog.pg_policy p where p.polrelid = c.oid))
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.oid in (select pg_catalog.to_regclass(x)::oid from unnest(@names) x)
        """;

    /// <summary>Fingerprint ("sha256:...") of each of the given tables, keyed by (schema, name).</summary>
    public static async Task<Dictionary<(string Schema, string Name), string>> ReadAsync(NpgsqlConnection connection, IEnumerable<PgRelation> tables, CancellationToken cancellationToken)
    {
        var names = tables.Select(t => t.Quoted).ToArray();
        var result = new Dictionary<(string, string), string>();
        if (names.Length == 0) return result;
        // Every name printed schema-qualified: the same text on the source at backup time and on any target after a restore.
        return await PgCatalog.WithQualifiedNamesAsync(connection, async () =>
        {
            await using var cmd = new NpgsqlCommand(Sql, connection);
            cmd.Parameters.AddWithValue("names", names);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                result[(reader.GetString(0), reader.GetString(1))] = Fingerprint(reader.IsDBNull(2) ? "" : reader.GetString(2));
            return result;
        }, cancellationToken).ConfigureAwait(false);
    }

    private const string GrantsSql = """
        select n.nspname, c.relname, coalesce((select string_agg(g, E'\n' order by g) from (
            select format('table %s %s%s', case when a.grantee = 0 then 'public' else quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) end,
                          a.privilege_type, case when a.is_grantable then ' grantable' else '' end) g
              from pg_catalog.aclexplode(c.relacl) a where a.grantee <> c.relowner
            union all
            select format('column %s %s %s%s', quote_ident(att.attname), case when a.grantee = 0 then 'public' else quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) end,
                          a.privilege_type, case when a.is_grantable then ' grantable' else '' end)
              from pg_catalog.pg_attribute att, pg_catalog.aclexplode(att.attacl) a
              where att.attrelid = c.oid and att.attnum > 0 and not att.attisdropped and a.grantee <> c.relowner) x), '')
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.oid in (select pg_catalog.to_regclass(x)::oid from unnest(@names) x)
        """;

    /// <summary>
    /// Fingerprint ("sha256:...") of each table's grants: every privilege on the table and its columns, by grantee
    /// and grant option, the owner's own left out (a table without grants and one with its owner's alone are the same).
    /// </summary>
    public static async Task<Dictionary<(string Schema, string Name), string>> ReadGrantsAsync(NpgsqlConnection connection, IEnumerable<PgRelation> tables, CancellationToken cancellationToken)
    {
        var names = tables.Select(t => t.Quoted).ToArray();
        var result = new Dictionary<(string, string), string>();
        if (names.Length == 0) return result;
        await using var cmd = new NpgsqlCommand(GrantsSql, connection);
        cmd.Parameters.AddWithValue("names", names);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            result[(reader.GetString(0), reader.GetString(1))] = Fingerprint(reader.GetString(2));
        return result;
    }

    public static string Fingerprint(string definition) =>
        "sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(definition))).ToLowerInvariant();
}
