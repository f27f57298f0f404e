using ClutterDR.Catalog;

namespace ClutterDR.Database;

/// <summary>
/// pg_restore's and psql's arguments for a restore (whole archive, selected tables, the archive's listing), the
/// pg_restore a backup needs, and pg_restore run on an archive alone (--list, --schema-only: no connection).
/// </summary>
public static class PgRestore
{
    /// <summary>pg_restore at least the major version of the pg_dump that wrote the backup (any when unknown).</summary>
    public static PgTool Find(string? pgDumpVersion)
    {
        var dumpMajor = int.TryParse((pgDumpVersion ?? "0").Split('.')[0], out var mj) ? mj : 0;
        return PgTools.Find("pg_restore", dumpMajor > 0 ? dumpMajor : null);
    }

    /// <summary>A whole custom-format archive into the target, in one transaction that stops at the first error.</summary>
    public static List<string> Arguments(PgConnectionSettings target, bool clean, bool noOwner)
    {
        var args = new List<string> { "--single-transaction", "--exit-on-error", "--no-password", "--dbname=" + target.DbnameArgument };
        if (clean) { args.Add("--clean"); args.Add("--if-exists"); }
        if (noOwner) args.Add("--no-owner");
        return args;
    }

    /// <summary>psql running SQL from stdin into the target, in one transaction that stops at the first error.</summary>
    public static List<string> PsqlArguments(PgConnectionSettings target) =>
        new() { "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction", "--no-password", "--dbname=" + target.DbnameArgument, "--file=-" };

    /// <summary>The SQL of the entries in <paramref name="listFile"/> (pg_restore -L) to stdout, for psql.</summary>
    public static List<string> TableArguments(string listFile, bool dataOnly, bool clean, bool noOwner, bool noPrivileges = false)
    {
        var args = new List<string> { "--use-list=" + listFile, "--file=-" };
        if (dataOnly) args.Add("--data-only");
        else if (clean) { args.Add("--clean"); args.Add("--if-exists"); }
        if (noOwner) args.Add("--no-owner");
        if (noPrivileges) args.Add("--no-privileges");
        return args;
    }

    /// <summary>The archive's table of contents (pg_restore --list).</summary>
    public static IReadOnlyList<string> ListArguments { get; } = new[] { "--list" };

    /// <summary>The archive's definitions as SQL (pg_restore --schema-only) to stdout.</summary>
    public static IReadOnlyList<string> SchemaArguments { get; } = new[] { "--schema-only", "--file=-" };

    /// <summary>pg_restore on an archive fed through its stdin, writing to stdout, connecting nowhere.</summary>
    public static PgProcess StartOnArchive(PgTool pgRestore, IEnumerable<string> arguments) =>
        PgProcess.StartWithoutConnection(pgRestore, arguments, redirectInput: true, redirectOutput: true);
}
