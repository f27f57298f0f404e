using Npgsql;

namespace ClutterDR.Database;

/// <summary>A relation pg_dump can select: kind is pg_class.relkind ('r' table, 'p' partitioned, 'v' view, ...).</summary>
public sealed record PgRelation(string Schema, string Name, char Kind, bool Readable = true)
{
    public bool HasRows => Kind == 'r';
    public string Quoted => PgCatalog.QuoteIdent(Schema) + "." + PgCatalog.QuoteIdent(Name);
}

/// <summary>Catalog queries: which relations a dump covers, their row counts, whether a database is empty.</summary>
public static class PgCatalog
{
    // User relations pg_dump would dump: not system schemas, not members of an extension.
    private const string RelationsSql = """
        select n.nspname, c.relname, c.relkind::text, pg_catalog.has_table_privilege(c.oid, 'SELECT')
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
          and n.nspname not in ('pg_catalog', 'information_schema')
          and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
          and c.relpersistence <> 't'
          and not exists (select 1 from pg_catalog.pg_depend d
                          where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        order by 1, 2
        """;

    public static string QuoteIdent(string ident) => "\"" + ident.Replace("\"", "\"\"") + "\"";

    public static async Task<List<PgRelation>> ListRelationsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var list = new List<PgRelation>();
        await using var cmd = new NpgsqlCommand(RelationsSql, connection);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            list.Add(new PgRelation(reader.GetString(0), reader.GetString(1), reader.GetString(2)[0], reader.GetBoolean(3)));
        return list;
    }

    /// <summary>The tables a backup holds (with rows): -Table / -ExcludeTable applied to the database's relations.</summary>
    public static async Task<List<PgRelation>> SelectTablesAsync(NpgsqlConnection db, PgConnectionSettings connection, IReadOnlyList<string> include, IReadOnlyList<string> exclude, CancellationToken cancellationToken)
    {
        List<PgRelation> relations;
        try
        {
            relations = Select(await ListRelationsAsync(db, cancellationToken).ConfigureAwait(false), include, exclude, connection.Database);
        }
        catch (Exception e) { throw PgErrors.Map(e, connection); }
        return relations.Where(r => r.HasRows).ToList();
    }

    /// <summary>
    /// The relations a pg_dump with these -t / -T patterns covers. A -t pattern that matches nothing is
    /// a TableNotFound error (pg_dump --strict-names would fail the same way, but later).
    /// </summary>
    public static List<PgRelation> Select(IReadOnlyList<PgRelation> all, IReadOnlyList<string> include, IReadOnlyList<string> exclude, string database)
    {
        var includePatterns = include.Select(PgNamePattern.Parse).ToList();
        var excludePatterns = exclude.Select(PgNamePattern.Parse).ToList();
        foreach (var p in includePatterns)
        {
            if (!all.Any(r => p.Matches(r.Schema, r.Name)))
                throw new ClutterException(Errors.TableNotFound,
                    $"No table in database '{database}' matches -Table '{p.Text}'. Table names are case-sensitive inside double quotes; list them with \\dt in psql.",
                    p.Text);
        }
        var selected = all.Where(r => (includePatterns.Count == 0 || includePatterns.Any(p => p.Matches(r.Schema, r.Name)))
                                      && !excludePatterns.Any(p => p.Matches(r.Schema, r.Name)))
                          .ToList();
        if ((includePatterns.Count > 0 || excludePatterns.Count > 0) && selected.All(r => r.Kind == 'S'))
            throw new ClutterException(Errors.NothingToBackUp,
                $"-Table and -ExcludeTable leave no table of database '{database}' to back up ({Describe("-Table", include)}{(include.Count > 0 && exclude.Count > 0 ? ", " : "")}{Describe("-ExcludeTable", exclude)}). " +
                "Nothing was written. Exclude fewer tables, or list the tables with \\dt in psql.",
                string.Join(", ", include.Concat(exclude)));
        var unreadable = selected.Where(r => !r.Readable).Select(r => r.Schema + "." + r.Name).ToList();
        if (unreadable.Count > 0)
            throw new ClutterException(Errors.PermissionDenied,
                $"The login may not read {unreadable.Count} table(s) of database '{database}': {string.Join(", ", unreadable.Take(10))}{(unreadable.Count > 10 ? ", ..." : "")}. " +
                "Back up as a role that can read every table (GRANT SELECT or pg_read_all_data), or leave them out with -ExcludeTable.",
                string.Join(", ", unreadable));
        return selected;
    }

    private static string Describe(string option, IReadOnlyList<string> patterns) =>
        patterns.Count == 0 ? "" : $"{option} {string.Join(", ", patterns.Select(p => "'" + p + "'"))}";

    public static async Task<long> CountRowsAsync(NpgsqlConnection connection, PgRelation relation, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand($"select count(*) from only {relation.Quoted}", connection) { CommandTimeout = 0 };
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Heap plus TOAST bytes of the given tables: a rough size of their dump, for progress.</summary>
    public static async Task<long> EstimateDumpBytesAsync(NpgsqlConnection connection, IEnumerable<PgRelation> relations, CancellationToken cancellationToken)
    {
        var names = relations.Where(r => r.HasRows).Select(r => r.Quoted).ToArray();
        if (names.Length == 0) return 0;
        await using var cmd = new NpgsqlCommand("select coalesce(sum(pg_catalog.pg_table_size(x::regclass)), 0)::bigint from unnest(@names) as x", connection);
        cmd.Parameters.AddWithValue("names", names);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Runs catalog queries with an empty search_path, so that pg_get_*def and format_type print every name
    /// schema-qualified (the same text on any server, whatever its search_path); restored afterwards.
    /// </summary>
    public static async Task<T> WithQualifiedNamesAsync<T>(NpgsqlConnection connection, Func<Task<T>> queries, CancellationToken cancellationToken)
    {
        string previous;
        await using (var path = new NpgsqlCommand("select pg_catalog.current_setting('search_path'), pg_catalog.set_config('search_path', '', false)", connection))
            previous = (string)(await path.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        try
        {
            return await queries().ConfigureAwait(false);
        }
        finally
        {
            await using var back = new NpgsqlCommand("select pg_catalog.set_config('search_path', @p, false)", connection);
            back.Parameters.AddWithValue("p", previous);
            await back.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    public static async Task<bool> HasUserRelationsAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        (await ListRelationsAsync(connection, cancellationToken).ConfigureAwait(false)).Count > 0;
}
