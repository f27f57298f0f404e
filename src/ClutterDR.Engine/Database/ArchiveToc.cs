using System.Text;
using ClutterDR.Catalog;

namespace ClutterDR.Database;

/// <summary>Which tables an archive holds: pg_restore --list output (custom) or the COPY lines of a plain SQL dump.</summary>
public static class ArchiveToc
{
    /// <summary>True when the table's data is in the archive.</summary>
    /// <param name="toc">pg_restore --list output, or <see cref="SqlTocScanner.Result"/> for a plain dump.</param>
    public static bool Contains(string toc, DumpFormat format, string schema, string name)
    {
        if (format == DumpFormat.Custom)
        {
            // "3405; 0 16390 TABLE DATA public users postgres", read as ArchiveObjects reads every list line.
            foreach (var line in toc.Split('\n'))
                if (ArchiveObjects.ParseLine(line.TrimEnd('\r')) is { Desc: "TABLE DATA" } e && e.Names(schema, name)) return true;
            return false;
        }
        var entries = new HashSet<string>(toc.Split('\n'), StringComparer.Ordinal);
        foreach (var s in new[] { Quote(schema), schema })
            foreach (var n in new[] { Quote(name), name })
                if (entries.Contains(s + "." + n)) return true;
        return false;
    }

    private static string Quote(string ident) => "\"" + ident.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>
/// Collects the table names of the COPY statements of a plain SQL dump as it streams by
/// ("COPY public.users (id, name) FROM stdin;" gives "public.users"), holding one line at most.
/// </summary>
public sealed class SqlTocScanner
{
    private const int MaxLine = 16 * 1024;
    private static readonly byte[] Copy = "COPY "u8.ToArray();
    private readonly List<byte> _line = new();
    private readonly HashSet<string> _tables = new(StringComparer.Ordinal);
    private bool _atLineStart = true;
    private bool _capturing;

    public void Feed(ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            if (b == (byte)'\n')
            {
                if (_capturing) Take();
                _atLineStart = true; _capturing = false; _line.Clear();
                continue;
            }
            if (_atLineStart) { _capturing = true; _atLineStart = false; }
            if (!_capturing) continue;
            _line.Add(b);
            if (_line.Count <= Copy.Length && _line[^1] != Copy[_line.Count - 1]) { _capturing = false; _line.Clear(); }
            else if (_line.Count > MaxLine) { _capturing = false; _line.Clear(); }
        }
    }

    private void Take()
    {
        var text = Encoding.UTF8.GetString(_line.ToArray(), Copy.Length, _line.Count - Copy.Length);
        // The qualified name ends at the first space outside double quotes.
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"') quoted = !quoted;
            else if (text[i] == ' ' && !quoted) { _tables.Add(text[..i]); return; }
        }
    }

    public string Result() => string.Join("\n", _tables);
}
