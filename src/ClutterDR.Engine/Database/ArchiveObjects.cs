using System.Text;
using System.Text.RegularExpressions;

namespace ClutterDR.Database;

/// <summary>One entry of a custom-format archive's table of contents (a line of pg_restore --list).</summary>
public sealed record ArchiveEntry(int Id, string Desc, string Schema, string Tag, string Line)
{
    /// <summary>What follows the type in the list line: "schema tag owner", each part printed raw (spaces and all).</summary>
    public string Rest { get; init; } = "";

    /// <summary>Whether the line names this schema and tag (the owner, one word or none, follows).</summary>
    public bool Names(string schema, string tag)
    {
        var prefix = schema + " " + tag;
        if (Rest == prefix) return true;
        return Rest.StartsWith(prefix + " ", StringComparison.Ordinal) && !Rest.AsSpan(prefix.Length + 1).Contains(' ');
    }

    /// <summary>The entry's SQL from pg_restore --schema-only (empty for data entries).</summary>
    public string Sql { get; set; } = "";
    /// <summary>The table this entry belongs to (its definition, data, index, constraint, trigger, ...), if any.</summary>
    public (string Schema, string Name)? Table { get; set; }
    /// <summary>For a FK CONSTRAINT: the table it references.</summary>
    public (string Schema, string Name)? References { get; set; }
}

/// <summary>
/// What a custom-format archive holds, and which entries belong to which table: the list that
/// pg_restore --list prints, joined with the SQL of pg_restore --schema-only (which names the table of an
/// index or the owner of a sequence). pg_restore -t restores only a table's definition and rows; a
/// restore of a table with its indexes, constraints, triggers, policies and grants restores the entries
/// this finds for it (pg_restore -L).
/// </summary>
public sealed partial class ArchiveObjects
{
    // pg_dump's multi-word entry types, longest first, so that "TABLE DATA" is not read as "TABLE".
    private static readonly string[] MultiWordDescs =
    {
        "MATERIALIZED VIEW DATA", "PUBLICATION TABLES IN SCHEMA", "SEQUENCE OWNED BY", "TEXT SEARCH CONFIGURATION",
        "TEXT SEARCH DICTIONARY", "TEXT SEARCH PARSER", "TEXT SEARCH TEMPLATE", "FOREIGN DATA WRAPPER", "PROCEDURAL LANGUAGE",
        "MATERIALIZED VIEW", "PUBLICATION TABLE", "CHECK CONSTRAINT", "OPERATOR FAMILY", "OPERATOR CLASS", "SECURITY LABEL",
        "BLOB METADATA", "EVENT TRIGGER", "FK CONSTRAINT", "FOREIGN TABLE", "ACCESS METHOD", "INDEX ATTACH", "LARGE OBJECT",
        "ROW SECURITY", "SEQUENCE SET", "TABLE ATTACH", "USER MAPPING", "DEFAULT ACL", "SHELL TYPE", "TABLE DATA", "BLOBS",
    };

    public IReadOnlyList<ArchiveEntry> Entries { get; }

    private ArchiveObjects(List<ArchiveEntry> entries) => Entries = entries;

    /// <summary>Tables (definitions) the archive holds.</summary>
    public IEnumerable<(string Schema, string Name)> Tables =>
        Entries.Where(e => e.Desc == "TABLE").Select(e => (e.Schema, e.Tag));

    public static ArchiveObjects Parse(string list, string schemaSql)
    {
        var entries = new List<ArchiveEntry>();
        foreach (var raw in list.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (ParseLine(line) is { } e) entries.Add(e);
        }
        var sql = ParseSql(schemaSql);
        // A schema or a name with a space makes the list line ambiguous; the SQL headers name both exactly.
        // Looked up directly first; only a line whose first-word split names no SQL entry is matched by scan.
        var byType = sql.Keys.ToLookup(k => k.Item1);
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var desc = e.Desc switch { "TABLE DATA" => "TABLE", "SEQUENCE SET" => "SEQUENCE", _ => e.Desc };
            if (!sql.ContainsKey((desc, e.Schema, e.Tag)))
            {
                var exact = byType[desc].Where(k => e.Names(k.Item2, k.Item3)).OrderByDescending(k => k.Item2.Length + k.Item3.Length).FirstOrDefault();
                if (exact.Item1 is not null) entries[i] = e = e with { Schema = exact.Item2, Tag = exact.Item3 };
            }
            if (sql.TryGetValue((e.Desc, e.Schema, e.Tag), out var body)) e.Sql = body;
        }
        Attribute(entries);
        return new ArchiveObjects(entries);
    }

    /// <summary>"3274; 2606 16564 CONSTRAINT public reminders reminders_pkey postgres" (owner last; "-" for no schema).</summary>
    internal static ArchiveEntry? ParseLine(string line)
    {
        var m = ListLine().Match(line);
        if (!m.Success) return null;
        var rest = m.Groups["rest"].Value;
        var desc = MultiWordDescs.FirstOrDefault(d => rest.StartsWith(d + " ", StringComparison.Ordinal));
        if (desc is null)
        {
            var sp = rest.IndexOf(' ');
            if (sp < 0) return null;
            desc = rest[..sp];
        }
        rest = rest[(desc.Length + 1)..];
        var sp2 = rest.IndexOf(' ');
        if (sp2 < 0) return null;
        var schema = rest[..sp2];
        var tagOwner = rest[(sp2 + 1)..];
        var last = tagOwner.LastIndexOf(' ');
        var tag = last < 0 ? tagOwner : tagOwner[..last]; // the owner is the last word (empty for some entries)
        return new ArchiveEntry(int.Parse(m.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture), desc, schema, tag, line) { Rest = rest };
    }

    /// <summary>The SQL of each entry of pg_restore --schema-only output, keyed by (type, schema, name) of its header.</summary>
    internal static Dictionary<(string, string, string), string> ParseSql(string sql)
    {
        var map = new Dictionary<(string, string, string), string>();
        (string, string, string)? key = null;
        var body = new StringBuilder();
        void Flush()
        {
            if (key is { } k) map.TryAdd(k, body.ToString());
            body.Clear();
        }
        foreach (var raw in sql.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var h = SqlHeader().Match(line);
            if (h.Success)
            {
                Flush();
                key = (h.Groups["type"].Value, h.Groups["schema"].Value, h.Groups["name"].Value);
                continue;
            }
            if (line.StartsWith("--", StringComparison.Ordinal) || line.Length == 0) continue;
            body.Append(line).Append('\n');
        }
        Flush();
        return map;
    }

    private static void Attribute(List<ArchiveEntry> entries)
    {
        var tables = new HashSet<(string, string)>(entries.Where(e => e.Desc == "TABLE").Select(e => (e.Schema, e.Tag)));
        (string, string)? TableByPrefix(string schema, string tag) => LongestTablePrefix(tables, schema, tag, ' ');

        var indexes = new Dictionary<(string, string), (string, string)>();
        var sequences = new Dictionary<(string, string), (string, string)>();
        foreach (var e in entries)
        {
            switch (e.Desc)
            {
                case "TABLE":
                case "TABLE DATA":
                case "ROW SECURITY":
                    e.Table = (e.Schema, e.Tag);
                    break;
                case "CONSTRAINT":
                case "FK CONSTRAINT":
                case "TRIGGER":
                case "POLICY":
                case "RULE":
                case "DEFAULT":
                    e.Table = TableByPrefix(e.Schema, e.Tag);
                    if (e.Desc == "FK CONSTRAINT" && ReferencesClause().Match(e.Sql) is { Success: true } r)
                        e.References = QualifiedName(r.Groups["name"].Value);
                    break;
                case "INDEX":
                    if (IndexOn().Match(e.Sql) is { Success: true } on) e.Table = QualifiedName(on.Groups["name"].Value);
                    if (e.Table is { } it) indexes[(e.Schema, e.Tag)] = it;
                    break;
                case "SEQUENCE":
                    // An identity column's sequence: "ALTER TABLE public.t ALTER COLUMN id ADD GENERATED ...".
                    if (IdentityOf().Match(e.Sql) is { Success: true } id)
                    {
                        e.Table = QualifiedName(id.Groups["name"].Value);
                        if (e.Table is { } idt) sequences[(e.Schema, e.Tag)] = idt;
                    }
                    break;
                case "SEQUENCE OWNED BY":
                    if (OwnedBy().Match(e.Sql) is { Success: true } ob && ColumnOwner(ob.Groups["name"].Value) is { } owner)
                    {
                        e.Table = owner;
                        sequences[(e.Schema, e.Tag)] = owner;
                    }
                    break;
            }
        }
        foreach (var e in entries)
        {
            if (e.Table is not null) continue;
            switch (e.Desc)
            {
                case "SEQUENCE":
                case "SEQUENCE SET":
                    if (sequences.TryGetValue((e.Schema, e.Tag), out var s)) e.Table = s;
                    break;
                case "COMMENT":
                case "ACL":
                case "SECURITY LABEL":
                    e.Table = AttachedTo(e.Schema, e.Tag, tables, indexes, sequences);
                    break;
            }
        }
    }

    /// <summary>The table a COMMENT or ACL is on: "TABLE t", "COLUMN t.c", "SEQUENCE s", "INDEX i", "CONSTRAINT c ON t", ...</summary>
    private static (string, string)? AttachedTo(string schema, string tag, HashSet<(string, string)> tables,
        Dictionary<(string, string), (string, string)> indexes, Dictionary<(string, string), (string, string)> sequences)
    {
        if (tag.StartsWith("TABLE ", StringComparison.Ordinal) && tables.Contains((schema, tag[6..]))) return (schema, tag[6..]);
        if (tag.StartsWith("SEQUENCE ", StringComparison.Ordinal) && sequences.TryGetValue((schema, tag[9..]), out var s)) return s;
        if (tag.StartsWith("INDEX ", StringComparison.Ordinal) && indexes.TryGetValue((schema, tag[6..]), out var i)) return i;
        if (tag.StartsWith("COLUMN ", StringComparison.Ordinal)) return LongestTablePrefix(tables, schema, tag[7..], '.');
        foreach (var kind in new[] { "CONSTRAINT ", "TRIGGER ", "POLICY ", "RULE " })
        {
            if (!tag.StartsWith(kind, StringComparison.Ordinal)) continue;
            var on = tag.LastIndexOf(" ON ", StringComparison.Ordinal);
            if (on > 0 && tables.Contains((schema, tag[(on + 4)..]))) return (schema, tag[(on + 4)..]);
        }
        return null;
    }

    /// <summary>
    /// The table a tag starts with: "reminders reminders_pkey" (separator ' ') or "reminders.id" ('.'), the
    /// longest table name of the schema when several fit. One set lookup per separator in the tag.
    /// </summary>
    private static (string, string)? LongestTablePrefix(HashSet<(string, string)> tables, string schema, string tag, char separator)
    {
        for (var i = tag.LastIndexOf(separator); i > 0; i = tag.LastIndexOf(separator, i - 1))
            if (tables.Contains((schema, tag[..i]))) return (schema, tag[..i]);
        return null;
    }

    /// <summary>"public.\"My Table\"" as (public, My Table).</summary>
    internal static (string, string)? QualifiedName(string text)
    {
        var parts = SplitIdentifiers(text);
        return parts.Count == 2 ? (parts[0], parts[1]) : null;
    }

    private static (string, string)? ColumnOwner(string text)
    {
        var parts = SplitIdentifiers(text);
        return parts.Count == 3 ? (parts[0], parts[1]) : null;
    }

    private static List<string> SplitIdentifiers(string text)
    {
        var parts = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { sb.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else sb.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == '.') { parts.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        parts.Add(sb.ToString());
        return parts;
    }

    private const string Ident = @"(?:""(?:[^""]|"""")+""|[^\s."",()]+)";
    private const string QName = Ident + @"\." + Ident;

    [GeneratedRegex(@"^(?<id>\d+); \d+ \d+ (?<rest>.+)$")]
    private static partial Regex ListLine();
    [GeneratedRegex(@"^-- Name: (?<name>.*); Type: (?<type>.*); Schema: (?<schema>.*); Owner: (?<owner>.*)$")]
    private static partial Regex SqlHeader();
    [GeneratedRegex(@"\bREFERENCES (?<name>" + QName + @")\s*\(")]
    private static partial Regex ReferencesClause();
    [GeneratedRegex(@"\bINDEX (?:" + Ident + @" )?ON (?:ONLY )?(?<name>" + QName + @") USING ")]
    private static partial Regex IndexOn();
    [GeneratedRegex(@"^ALTER TABLE (?:ONLY )?(?<name>" + QName + @") ALTER COLUMN .* ADD GENERATED ", RegexOptions.Multiline)]
    private static partial Regex IdentityOf();
    [GeneratedRegex(@"\bOWNED BY (?<name>" + QName + @"\." + Ident + @");")]
    private static partial Regex OwnedBy();
}
