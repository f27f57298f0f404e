using System.Text;
using System.Text.RegularExpressions;

namespace ClutterDR.Database;

/// <summary>
/// The project's own roles (Backup-ClutterDatabase -IncludeRoles): pg_dumpall --roles-only --no-role-passwords,
/// filtered of the roles every Supabase project has (and PostgreSQL's pg_* roles and the connected role), of
/// attributes only a superuser may give (SUPERUSER, REPLICATION, BYPASSRLS become NO...), and of GRANTED BY.
/// Never a password: pg_dumpall is told to leave them out, and a PASSWORD clause that slipped through is cut.
/// </summary>
public static partial class PgRoles
{
    /// <summary>The filtered SQL of the custom roles of the server <paramref name="connection"/> reaches, and their names.</summary>
    public static async Task<(string Sql, IReadOnlyList<string> Roles)> DumpAsync(PgConnectionSettings connection, int serverMajor, CancellationToken cancellationToken)
    {
        var tool = PgTools.Find("pg_dumpall", serverMajor);
        using var proc = PgProcess.Start(tool, new[] { "--roles-only", "--no-role-passwords", "--no-password", "--dbname=" + connection.DbnameArgument }, connection, redirectInput: false, redirectOutput: true);
        string text;
        using (var reader = new StreamReader(proc.StandardOutput, Encoding.UTF8)) text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        var exit = await proc.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (exit != 0)
            throw new ClutterException(Errors.PgDumpFailed,
                $"pg_dumpall --roles-only failed for -IncludeRoles ({PgProcess.DescribeExit(exit)}): {proc.StandardErrorTail}. Back up without -IncludeRoles, or connect as a role that may read pg_authid's public columns.",
                connection.Display);
        return Filter(text, connection.Username);
    }

    /// <summary>Pure: keeps the statements about custom roles (see the type's summary).</summary>
    public static (string Sql, IReadOnlyList<string> Roles) Filter(string dump, string? connectedUser)
    {
        bool Custom(string role) => !PgPlatform.ReservedRoles.Contains(role) && !role.StartsWith("pg_", StringComparison.Ordinal) && role != connectedUser;
        var kept = new List<string>();
        var roles = new List<string>();
        foreach (var raw in dump.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith("--", StringComparison.Ordinal) || line.StartsWith("SET ", StringComparison.Ordinal) || line.StartsWith("\\", StringComparison.Ordinal)) continue;
            var m = RoleStatement().Match(line);
            if (m.Success)
            {
                var role = Unquote(m.Groups["role"].Value);
                if (!Custom(role)) continue;
                if (line.StartsWith("CREATE ROLE ", StringComparison.Ordinal)) roles.Add(role);
                kept.Add(Attributes().Replace(Password().Replace(line, ""), a => "NO" + a.Value));
                continue;
            }
            var g = Membership().Match(line);
            if (g.Success && Custom(Unquote(g.Groups["member"].Value)))
                kept.Add($"GRANT {g.Groups["granted"].Value} TO {g.Groups["member"].Value}{(g.Groups["admin"].Success ? " WITH ADMIN OPTION" : "")};");
        }
        return (string.Join("\n", kept) + (kept.Count > 0 ? "\n" : ""), roles);
    }

    /// <summary>The stored roles' statements by the role they create (memberships under their member).</summary>
    public static Dictionary<string, IReadOnlyList<string>> Parse(string sql)
    {
        var byRole = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var line in sql.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var m = RoleStatement().Match(line);
            var g = Membership().Match(line);
            var role = m.Success ? Unquote(m.Groups["role"].Value) : g.Success ? Unquote(g.Groups["member"].Value) : null;
            if (role is null) continue;
            if (!byRole.TryGetValue(role, out var list)) byRole[role] = list = new List<string>();
            list.Add(line);
        }
        return byRole.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal);
    }

    private static string Unquote(string ident) => ident.StartsWith('"') ? ident[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : ident;

    [GeneratedRegex("""^(?:CREATE ROLE|ALTER ROLE|COMMENT ON ROLE) (?<role>"(?:[^"]|"")+"|[^ ;]+)""")]
    private static partial Regex RoleStatement();

    [GeneratedRegex("""^GRANT (?<granted>"(?:[^"]|"")+"|[^ ]+) TO (?<member>"(?:[^"]|"")+"|[^ ;]+)(?<admin> WITH ADMIN OPTION)?(?: GRANTED BY [^;]+)?;$""")]
    private static partial Regex Membership();

    [GeneratedRegex("""(?<= )(?:SUPERUSER|REPLICATION|BYPASSRLS)\b""")]
    private static partial Regex Attributes();

    [GeneratedRegex(""" PASSWORD '(?:[^']|'')*'""")]
    private static partial Regex Password();
}
