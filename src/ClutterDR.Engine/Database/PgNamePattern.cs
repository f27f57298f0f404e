using System.Text;
using System.Text.RegularExpressions;

namespace ClutterDR.Database;

/// <summary>
/// A psql / pg_dump name pattern (<c>users</c>, <c>public.dump*</c>, <c>"Mixed Case"</c>) as a pair of
/// anchored regular expressions, following psql's rules: case folds to lower outside double quotes,
/// <c>*</c> and <c>?</c> are wildcards, an unquoted <c>.</c> separates schema from name, everything inside
/// double quotes is literal. Without a schema the pattern matches tables in every schema, as pg_dump -t does.
/// </summary>
public sealed class PgNamePattern
{
    private PgNamePattern(string text, Regex? schema, Regex name)
    {
        Text = text; Schema = schema; Name = name;
    }

    public string Text { get; }
    public Regex? Schema { get; }
    public Regex Name { get; }

    public bool Matches(string schema, string name) => (Schema?.IsMatch(schema) ?? true) && Name.IsMatch(name);

    public static PgNamePattern Parse(string pattern)
    {
        var parts = new List<StringBuilder> { new() };
        var inQuotes = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            var current = parts[^1];
            if (c == '"')
            {
                if (inQuotes && i + 1 < pattern.Length && pattern[i + 1] == '"') { current.Append(Regex.Escape("\"")); i++; }
                else inQuotes = !inQuotes;
            }
            else if (inQuotes) current.Append(Regex.Escape(c.ToString()));
            else if (c == '.') parts.Add(new StringBuilder());
            else if (c == '*') current.Append(".*");
            else if (c == '?') current.Append('.');
            else if (c == '$') current.Append("\\$");
            else if (char.IsWhiteSpace(c) && (i == 0 || i == pattern.Length - 1)) { }
            else current.Append(char.ToLowerInvariant(c) is var l && "|+()[]{}^\\".Contains(c) ? c.ToString() : Regex.Escape(l.ToString()).Replace("\\ ", " "));
        }
        if (inQuotes || parts.Count > 2 || parts.Any(p => p.Length == 0))
            throw new ClutterException(Errors.InvalidTablePattern,
                $"'{pattern}' is not a valid table name or pattern. Use name, schema.name, wildcards * and ?, and double quotes for mixed-case names (\"My Table\").",
                pattern);
        static Regex Anchored(StringBuilder sb) => new("^(?:" + sb + ")$", RegexOptions.CultureInvariant);
        return parts.Count == 2 ? new PgNamePattern(pattern, Anchored(parts[0]), Anchored(parts[1])) : new PgNamePattern(pattern, null, Anchored(parts[0]));
    }
}
