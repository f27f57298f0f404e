using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ClutterDR.Database;

/// <summary>A located PostgreSQL client program and its version.</summary>
public sealed record PgTool(string Name, string Path, Version Version, string VersionText);

/// <summary>
/// Finds pg_dump, pg_restore and psql: in the folder named by CLUTTERDR_PG_BIN, else on PATH, with the
/// platform's executable suffix.
/// </summary>
public static class PgTools
{
    public const string BinVariable = "CLUTTERDR_PG_BIN";

    public static PgTool Find(string name, int? minimumMajor = null)
    {
        var path = Locate(name) ?? throw new ClutterException("PgToolNotFound", FailureKind.NotInstalled,
            $"{name} was not found{(Environment.GetEnvironmentVariable(BinVariable) is { Length: > 0 } bin ? $" in {BinVariable} ('{bin}')" : " on PATH")}. " +
            $"Install the PostgreSQL client {(minimumMajor is int m ? m + " or newer " : "")}(Debian: apt-get install postgresql-client-{minimumMajor?.ToString() ?? "NN"}; Windows: the EDB installer), " +
            $"or set {BinVariable} to the folder that holds {name}.", name);
        var (version, text) = ReadVersion(path);
        EnsureVersion(name, path, version, minimumMajor);
        return new PgTool(name, path, version, text);
    }

    /// <summary>pg_dump must be at least the server's major version (and pg_restore at least the dump's).</summary>
    public static void EnsureVersion(string name, string path, Version version, int? minimumMajor)
    {
        if (minimumMajor is int min && version.Major < min)
            throw new ClutterException("PgToolTooOld", FailureKind.NotInstalled,
                $"{name} at '{path}' is version {version.Major}, but version {min} or newer is needed (the server or the backup is PostgreSQL {min}). " +
                $"Install postgresql-client-{min} (or newer) and put it first on PATH, or set {BinVariable} to its bin folder.", path);
    }

    private static string? Locate(string name)
    {
        var exe = OperatingSystem.IsWindows() ? name + ".exe" : name;
        var bin = Environment.GetEnvironmentVariable(BinVariable);
        if (!string.IsNullOrEmpty(bin))
        {
            var candidate = System.IO.Path.Combine(bin, exe);
            return File.Exists(candidate) ? candidate : null;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(dir.Trim('"'), exe);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static (Version, string) ReadVersion(string path)
    {
        var psi = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--version");
        try
        {
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var v = ParseVersion(output) ?? throw new FormatException(output);
            return (v, output.Trim());
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or FormatException or InvalidOperationException)
        {
            throw new ClutterException("PgToolNotFound", FailureKind.NotInstalled,
                $"'{path}' could not be run to read its version ({e.Message}). Reinstall the PostgreSQL client or set {BinVariable}.", path, e);
        }
    }

    /// <summary>Reads "pg_dump (PostgreSQL) 15.18 (Debian ...)" or "psql (PostgreSQL) 17beta1".</summary>
    public static Version? ParseVersion(string text)
    {
        var m = Regex.Match(text, @"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?");
        if (!m.Success) return null;
        return new Version(int.Parse(m.Groups[1].Value), m.Groups[2].Success ? int.Parse(m.Groups[2].Value) : 0);
    }
}
