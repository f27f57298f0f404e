using ClutterDR.Catalog;

namespace ClutterDR.Database;

/// <summary>pg_dump's arguments for a backup: the format, the exported snapshot, the table selection.</summary>
public static class PgDump
{
    /// <summary>
    /// Custom format without pg_dump's own compression (the stream compresses, faster); plain format with
    /// --clean --if-exists, so that Restore -Clean works for plain dumps; --strict-names when tables are named.
    /// </summary>
    public static List<string> Arguments(DumpFormat format, string snapshot, PgConnectionSettings connection, IReadOnlyList<string> tables, IReadOnlyList<string> excludeTables)
    {
        var args = new List<string>
        {
            "--format=" + (format == DumpFormat.Custom ? "custom" : "plain"),
            "--snapshot=" + snapshot,
            "--no-password",
            "--dbname=" + connection.DbnameArgument,
        };
        if (format == DumpFormat.Custom) args.Add("--compress=0"); // we compress, faster, in the stream
        else { args.Add("--clean"); args.Add("--if-exists"); }     // so that Restore -Clean works for plain dumps
        foreach (var t in tables) args.Add("--table=" + t);
        foreach (var t in excludeTables) args.Add("--exclude-table=" + t);
        if (tables.Count > 0) args.Add("--strict-names");
        return args;
    }
}
