using System.Text;
using ClutterDR.Database;
using Npgsql;

namespace ClutterDR.Database;

/// <summary>
/// What a restore of selected tables does, decided before the target is touched:
/// <list type="bullet">
/// <item>Whole tables (the default): every archive entry that belongs to them (definition, sequences,
/// defaults, rows, indexes, constraints, triggers, row security, policies, comments, grants), plus the
/// foreign keys of other tables of the target that reference them; with -Clean those are dropped first.</item>
/// <item>-DataOnly: into tables the target already has, in one transaction: TRUNCATE them, then load their
/// rows and their sequences' values, with the foreign keys that touch them dropped for the load and added back
/// before the commit (which checks every row). A table outside the selection whose
/// rows reference them would lose them: refused unless -Cascade.</item>
/// </list>
/// </summary>
public sealed class TableRestorePlan
{
    public required IReadOnlyList<(string Schema, string Name)> Tables { get; init; }
    public required bool DataOnly { get; init; }
    /// <summary>Lines of the pg_restore -L list file, in the order they are restored.</summary>
    public required IReadOnlyList<string> ListLines { get; init; }
    /// <summary>SQL run first in the restore's transaction (-DataOnly: TRUNCATE, and the foreign keys dropped for the load).</summary>
    public string Prelude { get; init; } = "";
    /// <summary>SQL run last, before the commit (-DataOnly: the foreign keys added back, which checks every row).</summary>
    public string Postlude { get; init; } = "";
    /// <summary>Tables outside the selection that -Cascade empties.</summary>
    public IReadOnlyList<string> Cascaded { get; init; } = Array.Empty<string>();
    /// <summary>Entries of the selected tables left out, and why (a foreign key to a table the target lacks).</summary>
    public IReadOnlyList<string> Skipped { get; init; } = Array.Empty<string>();

    public static string Display((string Schema, string Name) t) => $"{t.Schema}.{t.Name}";

    /// <summary>
    /// The archive's tables that -Table names ("name" in any schema, or "schema.name"); TableNotFound,
    /// naming what the archive holds, for a name that matches none.
    /// </summary>
    public static List<(string Schema, string Name)> Select(ArchiveObjects archive, IReadOnlyList<string> names, string backupText)
    {
        var all = archive.Tables.ToList();
        var selected = new List<(string, string)>();
        foreach (var n in names)
        {
            var dot = n.IndexOf('.');
            var matches = all.Where(t => dot > 0 ? t.Schema == n[..dot] && t.Name == n[(dot + 1)..] : t.Name == n).ToList();
            if (matches.Count == 0)
            {
                var there = all.Select(Display).Order(StringComparer.Ordinal).ToList();
                throw new ClutterException(Errors.TableNotFound,
                    $"The backup '{backupText}' has no table '{n}'; nothing was changed. It holds {there.Count} table(s): {string.Join(", ", there.Take(30))}{(there.Count > 30 ? ", ..." : "")}. Names are case-sensitive; use name or schema.name.",
                    n);
            }
            foreach (var m in matches) if (!selected.Contains(m)) selected.Add(m);
        }
        return selected;
    }

    /// <summary>Whole tables: their entries in archive order; foreign keys only where both ends will be there.</summary>
    public static TableRestorePlan ForTables(ArchiveObjects archive, IReadOnlyList<(string Schema, string Name)> tables, ISet<(string, string)> targetTables)
    {
        var selected = new HashSet<(string, string)>(tables);
        var lines = new List<string>();
        var skipped = new List<string>();
        foreach (var e in archive.Entries)
        {
            if (e.Desc == "FK CONSTRAINT" && e.Table is { } owner && e.References is { } target)
            {
                var ownerThere = selected.Contains(owner) || targetTables.Contains(owner);
                var targetThere = selected.Contains(target) || targetTables.Contains(target);
                if (!selected.Contains(owner) && !selected.Contains(target)) continue;
                if (ownerThere && targetThere) lines.Add(e.Line);
                else if (selected.Contains(owner))
                    skipped.Add($"foreign key {e.Tag} (it references {Display(target)}, which the target lacks)");
                continue;
            }
            if (e.Table is { } t && selected.Contains(t)) lines.Add(e.Line);
        }
        return new TableRestorePlan { Tables = tables, DataOnly = false, ListLines = lines, Skipped = skipped };
    }

    /// <summary>
    /// Rows only, into tables the target has: TRUNCATE, then the rows and the values of their sequences; the
    /// foreign keys that touch them are dropped for the load and added back before the commit.
    /// </summary>
    public static async Task<TableRestorePlan> ForDataAsync(ArchiveObjects archive, IReadOnlyList<(string Schema, string Name)> tables, NpgsqlConnection target, bool cascade, string targetText, CancellationToken cancellationToken)
    {
        var selected = new HashSet<(string, string)>(tables);
        var present = new HashSet<(string, string)>((await PgCatalog.ListRelationsAsync(target, cancellationToken).ConfigureAwait(false))
            .Where(r => r.HasRows).Select(r => (r.Schema, r.Name)));
        var absent = tables.Where(t => !present.Contains(t)).Select(Display).ToList();
        if (absent.Count > 0)
            throw new ClutterException(Errors.TableNotFound,
                $"-DataOnly loads rows into tables that exist, but {targetText} has no {string.Join(", ", absent)}; nothing was changed. Leave out -DataOnly to restore the whole table (definition, indexes, constraints and rows).",
                string.Join(", ", absent));

        // Every foreign key that touches the selected tables. Those of other tables that reference them make
        // TRUNCATE need CASCADE; all of them are dropped for the load and added back before the commit, which
        // checks every row at once (the archive's order of rows cannot be changed when it is read as a stream).
        var referencing = new List<(string Schema, string Name, string Constraint, string Refd)>();
        var foreignKeys = new List<(string Table, string Name, string Definition)>();
        var rows = await PgCatalog.WithQualifiedNamesAsync(target, async () =>
        {
            var list = new List<(string, string, string, string, string, string)>();
            await using var cmd = new NpgsqlCommand("""
                select cn.nspname, cl.relname, k.conname, fn.nspname, fl.relname, pg_catalog.pg_get_constraintdef(k.oid)
                from pg_catalog.pg_constraint k
                join pg_catalog.pg_class cl on cl.oid = k.conrelid join pg_catalog.pg_namespace cn on cn.oid = cl.relnamespace
                join pg_catalog.pg_class fl on fl.oid = k.confrelid join pg_catalog.pg_namespace fn on fn.oid = fl.relnamespace
                where k.contype = 'f' and k.conparentid = 0
                order by 1, 2, 3
                """, target);
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                list.Add((r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5)));
            return list;
        }, cancellationToken).ConfigureAwait(false);
        foreach (var (ownerSchema, ownerName, constraint, refdSchema, refdName, definition) in rows)
        {
            var owner = (ownerSchema, ownerName);
            var refd = (refdSchema, refdName);
            if (!selected.Contains(refd) && !selected.Contains(owner)) continue;
            foreignKeys.Add((new PgRelation(ownerSchema, ownerName, 'r').Quoted, constraint, definition));
            if (selected.Contains(refd) && !selected.Contains(owner))
                referencing.Add((ownerSchema, ownerName, constraint, Display(refd)));
        }
        var withRows = new List<string>();
        foreach (var g in referencing.GroupBy(x => (x.Schema, x.Name)))
        {
            var rel = new PgRelation(g.Key.Schema, g.Key.Name, 'r');
            await using var any = new NpgsqlCommand($"select exists (select 1 from {rel.Quoted})", target);
            if ((bool)(await any.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                withRows.Add($"{Display(g.Key)} (through {string.Join(", ", g.Select(x => x.Constraint + " to " + x.Refd))})");
        }
        if (withRows.Count > 0 && !cascade)
            throw new ClutterException(Errors.ReferencingRowsWouldBeLost,
                $"-DataOnly empties {string.Join(", ", tables.Select(Display))} before loading the backup's rows, and rows of tables outside -Table reference them: {string.Join("; ", withRows)}. " +
                "Emptying them would delete those rows too; nothing was changed. Add those tables to -Table, or add -Cascade to empty them as well (TRUNCATE ... CASCADE).",
                string.Join(", ", withRows));

        var cascaded = referencing.Select(x => Display((x.Schema, x.Name))).Distinct().ToList();
        var prelude = new StringBuilder("TRUNCATE TABLE ")
            .Append(string.Join(", ", tables.Select(t => new PgRelation(t.Schema, t.Name, 'r').Quoted)))
            .Append(cascaded.Count > 0 ? " CASCADE" : "").Append(";\n");
        var postlude = new StringBuilder();
        foreach (var fk in foreignKeys)
        {
            prelude.Append($"ALTER TABLE ONLY {fk.Table} DROP CONSTRAINT {PgCatalog.QuoteIdent(fk.Name)};\n");
            postlude.Append($"ALTER TABLE ONLY {fk.Table} ADD CONSTRAINT {PgCatalog.QuoteIdent(fk.Name)} {fk.Definition};\n");
        }

        // Rows in archive order (a stream cannot be read out of order), then the sequences' values.
        var lines = archive.Entries.Where(e => e.Desc is "TABLE DATA" or "SEQUENCE SET" && e.Table is { } t && selected.Contains(t))
            .OrderBy(e => e.Desc == "SEQUENCE SET").Select(e => e.Line).ToList();
        return new TableRestorePlan
        {
            Tables = tables, DataOnly = true, ListLines = lines, Prelude = prelude.ToString(), Postlude = postlude.ToString(),
            Cascaded = withRows.Count > 0 ? cascaded : Array.Empty<string>(),
        };
    }
}
