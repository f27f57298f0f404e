using System.Net;
using System.Text;
using Npgsql;

namespace ClutterDR.Database;

/// <summary>
/// A PostgreSQL connection as the user gave it (a postgresql:// URI, as DATABASE_URL holds, or an
/// Npgsql keyword string), with an optional credential override and PG* environment defaults as
/// libpq applies them. Produces an Npgsql connection string for our own queries and the environment
/// for pg_dump / pg_restore / psql, so that the password never reaches a command line.
/// </summary>
public sealed class PgConnectionSettings
{
    private static readonly HashSet<string> IgnoredUriParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "pgbouncer", "connection_limit", "pool_timeout", "schema", // ORM-specific (Prisma), meaningless to libpq
    };

    private PgConnectionSettings(NpgsqlConnectionStringBuilder builder, string? sslModeText)
    {
        Builder = builder;
        SslModeText = sslModeText;
    }

    internal NpgsqlConnectionStringBuilder Builder { get; }
    private string? SslModeText { get; }

    public string Host => Builder.Host!;
    public int Port => Builder.Port;
    public string Database => Builder.Database!;
    public string Username => Builder.Username!;
    internal string? Password => Builder.Password;

    /// <summary>host:port/database, for messages. Never the password.</summary>
    public string Display => $"{Host}:{Port}/{Database}";
    public override string ToString() => Display;

    public static PgConnectionSettings Parse(string connectionString, NetworkCredential? credential = null)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw Malformed("the connection string is empty");
        var text = connectionString.Trim();
        NpgsqlConnectionStringBuilder builder;
        string? sslMode = null;
        bool portGiven;
        if (text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            builder = FromUri(text, out sslMode, out portGiven);
        }
        else
        {
            try
            {
                builder = new NpgsqlConnectionStringBuilder(text);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
            {
                throw Malformed(WhyKeywordStringIsBad(text));
            }
            // libpq's space-separated form (host=db dbname=app) reads to Npgsql as one odd host name.
            if (builder.Host is { } host && host.Any(char.IsWhiteSpace))
                throw Malformed(host.Contains('=')
                    ? "it looks like libpq's keyword form (host=... dbname=...), which is not read here: separate the pairs with ';' and use Host=...;Database=...;Username=..."
                    : $"the host '{host}' holds a space");
            if (System.Text.RegularExpressions.Regex.IsMatch(text, @"(?i)(^|;)\s*ssl\s*mode\s*=")) sslMode = LibpqSslMode(builder.SslMode);
            portGiven = System.Text.RegularExpressions.Regex.IsMatch(text, @"(?i)(^|;)\s*port\s*=");
        }

        if (credential is not null)
        {
            if (!string.IsNullOrEmpty(credential.UserName)) builder.Username = credential.UserName;
            builder.Password = credential.Password;
        }

        // libpq's environment defaults, so that our own queries and pg_dump see the same server.
        if (string.IsNullOrEmpty(builder.Host)) builder.Host = Env("PGHOST") ?? "localhost";
        if (!portGiven && int.TryParse(Env("PGPORT"), out var envPort)) builder.Port = envPort;
        if (string.IsNullOrEmpty(builder.Username)) builder.Username = Env("PGUSER") ?? Environment.UserName;
        if (string.IsNullOrEmpty(builder.Database)) builder.Database = Env("PGDATABASE") ?? builder.Username;
        if (string.IsNullOrEmpty(builder.Password) && Env("PGPASSWORD") is { } envPassword) builder.Password = envPassword;
        if (sslMode is null && Env("PGSSLMODE") is { } envSsl)
        {
            sslMode = envSsl;
            builder.SslMode = ParseSslMode(envSsl);
        }
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "ClutterDR";
        builder.Pooling = false; // a drill drops databases right after using them: no idle pooled connections
        return new PgConnectionSettings(builder, sslMode);
    }

    private static string? Env(string name)
    {
        var v = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrEmpty(v) ? null : v;
    }

    private static NpgsqlConnectionStringBuilder FromUri(string text, out string? sslMode, out bool portGiven)
    {
        sslMode = null;
        portGiven = false;
        var b = new NpgsqlConnectionStringBuilder();
        var rest = text.Substring(text.IndexOf("://", StringComparison.Ordinal) + 3);
        string? query = null;
        var q = rest.IndexOf('?');
        if (q >= 0) { query = rest.Substring(q + 1); rest = rest.Substring(0, q); }
        var slash = rest.IndexOf('/');
        var authority = slash >= 0 ? rest.Substring(0, slash) : rest;
        var path = slash >= 0 ? rest.Substring(slash + 1) : "";
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority.Substring(0, at);
            authority = authority.Substring(at + 1);
            var colon = userInfo.IndexOf(':');
            b.Username = Decode(colon >= 0 ? userInfo.Substring(0, colon) : userInfo);
            if (colon >= 0) b.Password = Decode(userInfo.Substring(colon + 1));
        }
        if (authority.Length > 0)
        {
            string host = authority, port = "";
            if (authority.StartsWith('['))
            {
                var close = authority.IndexOf(']');
                if (close < 0) throw Malformed("an IPv6 host lacks its closing ']'");
                host = authority.Substring(1, close - 1);
                var after = authority.Substring(close + 1);
                if (after.StartsWith(':')) port = after.Substring(1);
                else if (after.Length > 0) throw Malformed("unexpected text after the IPv6 host");
            }
            else
            {
                if (authority.Contains(','))
                    throw Malformed("several hosts in one URI are not supported; give one host");
                var colon = authority.LastIndexOf(':');
                if (colon >= 0) { host = authority.Substring(0, colon); port = authority.Substring(colon + 1); }
            }
            if (host.Length > 0) b.Host = Decode(host);
            if (port.Length > 0)
            {
                if (!int.TryParse(port, out var p) || p is < 1 or > 65535) throw Malformed($"the port '{port}' is not a number from 1 to 65535");
                b.Port = p;
                portGiven = true;
            }
        }
        if (path.Length > 0) b.Database = Decode(path);
        if (query is not null)
        {
            foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0) throw Malformed($"the query parameter '{pair}' has no value");
                var key = Decode(pair.Substring(0, eq));
                var value = Decode(pair.Substring(eq + 1));
                switch (key.ToLowerInvariant())
                {
                    case "sslmode": sslMode = value; b.SslMode = ParseSslMode(value); break;
                    case "host": b.Host = value; break;
                    case "port": b.Port = int.TryParse(value, out var p) ? p : throw Malformed($"the port '{value}' is not a number"); portGiven = true; break;
                    case "dbname": b.Database = value; break;
                    case "user": b.Username = value; break;
                    case "password": b.Password = value; break;
                    case "application_name": b.ApplicationName = value; break;
                    case "connect_timeout": b.Timeout = int.TryParse(value, out var t) ? t : throw Malformed($"connect_timeout '{value}' is not a number"); break;
                    case "options": b.Options = value; break;
                    case "sslrootcert": b.RootCertificate = value; break;
                    case "sslcert": b.SslCertificate = value; break;
                    case "sslkey": b.SslKey = value; break;
                    case "target_session_attrs": b.TargetSessionAttributes = value; break;
                    default:
                        if (!IgnoredUriParameters.Contains(key))
                            throw Malformed($"the URI parameter '{key}' is not one libpq knows");
                        break;
                }
            }
        }
        return b;
    }

    private static string Decode(string s)
    {
        try { return Uri.UnescapeDataString(s); }
        catch (UriFormatException) { throw Malformed("it contains an invalid %-escape"); }
    }

    private static SslMode ParseSslMode(string value) => value.ToLowerInvariant() switch
    {
        "disable" => SslMode.Disable,
        "allow" => SslMode.Allow,
        "prefer" => SslMode.Prefer,
        "require" => SslMode.Require,
        "verify-ca" => SslMode.VerifyCA,
        "verify-full" => SslMode.VerifyFull,
        _ => throw Malformed($"sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full"),
    };

    private static string LibpqSslMode(SslMode mode) => mode switch
    {
        SslMode.Disable => "disable",
        SslMode.Allow => "allow",
        SslMode.Prefer => "prefer",
        SslMode.Require => "require",
        SslMode.VerifyCA => "verify-ca",
        SslMode.VerifyFull => "verify-full",
        _ => "prefer",
    };

    /// <summary>What is wrong with a keyword string Npgsql refused, in our words: never its text (a value may be a password).</summary>
    private static string WhyKeywordStringIsBad(string text)
    {
        var parts = text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var eq = parts[i].IndexOf('=');
            if (eq <= 0)
                return parts.Length == 1 && !text.Contains('=')
                    ? "it is neither a postgresql:// URI nor a keyword string (keyword=value pairs separated by ';')"
                    : $"part {i + 1} of the keyword string has no keyword=value form (pairs are separated by ';', not by spaces)";
            var keyword = parts[i][..eq].Trim();
            if (parts[i][(eq + 1)..].Contains('=') && parts[i].Contains(' '))
                return $"part {i + 1} of the keyword string holds several keyword=value pairs: separate them with ';', not with spaces (libpq's host=... dbname=... form is not read; use Host=...;Database=...)";
            if (!new NpgsqlConnectionStringBuilder().ContainsKey(keyword))
                return $"'{keyword}' is not a keyword of an Npgsql connection string (Host, Port, Database, Username, Password, SSL Mode, ...)";
        }
        return "a value in the keyword string does not fit its keyword (a Port must be a number, an SSL Mode one of Disable, Prefer, Require, VerifyCA, VerifyFull)";
    }

    private static ClutterException Malformed(string why) =>
        new(Errors.InvalidConnectionString,
            $"The connection string is not valid: {why}. Use postgresql://user:password@host:port/database?sslmode=require or an Npgsql keyword string (Host=...;Database=...;Username=...).",
            null);

    /// <summary>The same settings pointed at another database on the same server.</summary>
    public PgConnectionSettings WithDatabase(string database)
    {
        var b = new NpgsqlConnectionStringBuilder(Builder.ConnectionString) { Database = database };
        return new PgConnectionSettings(b, SslModeText);
    }

    public NpgsqlConnection CreateConnection() => new(Builder.ConnectionString);

    /// <summary>
    /// Environment for libpq tools. The password travels as PGPASSWORD, never as an argument; the
    /// database is given by <see cref="DbnameArgument"/>, which holds no secret.
    /// </summary>
    public IReadOnlyDictionary<string, string?> ToolEnvironment()
    {
        var env = new Dictionary<string, string?>
        {
            ["PGHOST"] = Host,
            ["PGPORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGUSER"] = Username,
            ["PGDATABASE"] = Database,
            ["PGAPPNAME"] = Builder.ApplicationName ?? "ClutterDR",
            ["PGCONNECT_TIMEOUT"] = Math.Max(2, Builder.Timeout).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (!string.IsNullOrEmpty(Password)) env["PGPASSWORD"] = Password;
        if (SslModeText is not null) env["PGSSLMODE"] = SslModeText;
        if (!string.IsNullOrEmpty(Builder.RootCertificate)) env["PGSSLROOTCERT"] = Builder.RootCertificate;
        if (!string.IsNullOrEmpty(Builder.SslCertificate)) env["PGSSLCERT"] = Builder.SslCertificate;
        if (!string.IsNullOrEmpty(Builder.SslKey)) env["PGSSLKEY"] = Builder.SslKey;
        if (!string.IsNullOrEmpty(Builder.Options)) env["PGOPTIONS"] = Builder.Options;
        if (!string.IsNullOrEmpty(Builder.TargetSessionAttributes)) env["PGTARGETSESSIONATTRS"] = Builder.TargetSessionAttributes;
        return env;
    }

    /// <summary>A libpq conninfo holding only the database name, for --dbname.</summary>
    public string DbnameArgument => "dbname=" + QuoteConninfo(Database);

    internal static string QuoteConninfo(string value)
    {
        var sb = new StringBuilder("'");
        foreach (var c in value)
        {
            if (c is '\'' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('\'').ToString();
    }

    /// <summary>Replaces the password, wherever it appears in a message, with ****.</summary>
    public string Scrub(string message) =>
        string.IsNullOrEmpty(Password) || Password.Length < 2 ? message : message.Replace(Password, "****", StringComparison.Ordinal);
}
