using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ClutterDR.Database;

/// <summary>A located PostgreSQL client program and its version.</summary>
public sealed record PgTool(string Name, string Path, Version Version, string VersionText)
{
    /// <summary>"pg_dump (PostgreSQL) 15.18 at /usr/bin/pg_dump": how every verbose line names the program used.</summary>
    public string Description => $"{VersionText} at {Path}";
}

/// <summary>
/// What the search for a client program looks at, passed in so the search itself is pure of the process's
/// environment and can be tested with a folder tree of any platform's shape.
/// </summary>
public sealed record PgToolEnvironment
{
    /// <summary>The value of CLUTTERDR_PG_BIN: when set, the only folder searched.</summary>
    public string? BinFolder { get; init; }
    public string? PathVariable { get; init; }
    public char PathSeparator { get; init; } = System.IO.Path.PathSeparator;
    /// <summary>%ProgramFiles% (and %ProgramW6432%): the EDB installer's PostgreSQL\&lt;major&gt;\bin lives there.</summary>
    public IReadOnlyList<string> ProgramFilesFolders { get; init; } = Array.Empty<string>();
    public bool IsWindows { get; init; }
    public string ExecutableSuffix { get; init; } = "";

    public static PgToolEnvironment Current()
    {
        var windows = OperatingSystem.IsWindows();
        var programFiles = new List<string>();
        if (windows)
            foreach (var f in new[] { Environment.GetEnvironmentVariable("ProgramFiles"), Environment.GetEnvironmentVariable("ProgramW6432") })
                if (!string.IsNullOrEmpty(f) && !programFiles.Contains(f, StringComparer.OrdinalIgnoreCase)) programFiles.Add(f);
        return new PgToolEnvironment
        {
            BinFolder = Environment.GetEnvironmentVariable(PgTools.BinVariable),
            PathVariable = Environment.GetEnvironmentVariable("PATH"),
            ProgramFilesFolders = programFiles,
            IsWindows = windows,
            ExecutableSuffix = windows ? ".exe" : "",
        };
    }
}

/// <summary>Where a program was looked for, in order, and the files found there.</summary>
public sealed record PgToolSearch(IReadOnlyList<string> Candidates, IReadOnlyList<string> LookedIn);

/// <summary>
/// Finds pg_dump, pg_restore and psql: in the folder named by CLUTTERDR_PG_BIN only, when it is set; else on
/// PATH, then (on Windows, where the EDB installer does not add itself to PATH) in
/// %ProgramFiles%\PostgreSQL\&lt;major&gt;\bin, newest major first. The first one found that is at least the
/// version needed is used.
/// </summary>
public static class PgTools
{
    public const string BinVariable = "CLUTTERDR_PG_BIN";

    public static PgTool Find(string name, int? minimumMajor = null) => Find(name, minimumMajor, PgToolEnvironment.Current());

    public static PgTool Find(string name, int? minimumMajor, PgToolEnvironment environment)
    {
        var search = Search(name, environment);
        if (search.Candidates.Count == 0)
            throw new ClutterException(Errors.PgToolNotFound,
                $"{name} was not found; ClutterDR looked in {string.Join(", ", search.LookedIn)}. " +
                $"Install the PostgreSQL client {(minimumMajor is int m ? m + " or newer " : "")}(Debian: apt-get install postgresql-client-{minimumMajor?.ToString() ?? "NN"}; Windows: the EDB installer), " +
                $"or set {BinVariable} to the folder that holds {name}.", name);
        (string Path, Version Version, string Text)? newest = null;
        foreach (var path in search.Candidates)
        {
            var (version, text) = ReadVersion(path);
            if (minimumMajor is not int min || version.Major >= min) return new PgTool(name, path, version, text);
            if (newest is null || version > newest.Value.Version) newest = (path, version, text);
        }
        EnsureVersion(name, newest!.Value.Path, newest.Value.Version, minimumMajor);
        return new PgTool(name, newest.Value.Path, newest.Value.Version, newest.Value.Text); // not reached: EnsureVersion throws
    }

    /// <summary>
    /// The files named <paramref name="name"/> (with the platform's suffix) that the search finds, in the
    /// order they are tried, and a description of every place it looked (for the PgToolNotFound message).
    /// </summary>
    public static PgToolSearch Search(string name, PgToolEnvironment environment)
    {
        var exe = name + environment.ExecutableSuffix;
        var found = new List<string>();
        var lookedIn = new List<string>();
        void Try(string folder)
        {
            var candidate = System.IO.Path.Combine(folder, exe);
            if (File.Exists(candidate) && !found.Contains(candidate, environment.IsWindows ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal))
                found.Add(candidate);
        }

        if (!string.IsNullOrEmpty(environment.BinFolder))
        {
            lookedIn.Add($"{BinVariable} ('{environment.BinFolder}')");
            Try(environment.BinFolder);
            return new PgToolSearch(found, lookedIn);
        }

        lookedIn.Add("PATH");
        foreach (var dir in (environment.PathVariable ?? "").Split(environment.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var folder = dir.Trim().Trim('"');
            if (folder.Length > 0) Try(folder);
        }

        if (environment.IsWindows)
            foreach (var programFiles in environment.ProgramFilesFolders)
            {
                var root = System.IO.Path.Combine(programFiles, "PostgreSQL");
                lookedIn.Add($"'{System.IO.Path.Combine(root, "<major>", "bin")}'");
                if (!Directory.Exists(root)) continue;
                var majors = new List<(Version Version, string Folder)>();
                foreach (var dir in Directory.EnumerateDirectories(root))
                    if (Version.TryParse(MajorText(System.IO.Path.GetFileName(dir)), out var v)) majors.Add((v, dir));
                foreach (var (_, dir) in majors.OrderByDescending(m => m.Version))
                    Try(System.IO.Path.Combine(dir, "bin"));
            }
        return new PgToolSearch(found, lookedIn);
    }

    // EDB folders are named "17", "16", ..., "9.6": a bare major gets ".0" so Version can parse it.
    private static string MajorText(string folderName) => folderName.Contains('.') ? folderName : folderName + ".0";

    /// <summary>pg_dump must be at least the server's major version (and pg_restore at least the dump's).</summary>
    public static void EnsureVersion(string name, string path, Version version, int? minimumMajor)
    {
        if (minimumMajor is int min && version.Major < min)
            throw new ClutterException(Errors.PgToolTooOld,
                $"{name} at '{path}' is version {version.Major}, but version {min} or newer is needed (the server or the backup is PostgreSQL {min}). " +
                $"Install postgresql-client-{min} (or newer) and put it first on PATH, or set {BinVariable} to its bin folder.", path);
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
            throw new ClutterException(Errors.PgToolNotFound,
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
