using ClutterDR.Database;

namespace ClutterDR.Tests;

public class PgConnectionSettingsTests
{
    [Theory]
    [InlineData("not a connection string", "neither a postgresql:// URI nor a keyword string")]
    [InlineData("Host=h;dbname=d;Password=secretpw", "'dbname' is not a keyword")]
    [InlineData("host=h dbname=d password=secretpw", "libpq's keyword form")]
    [InlineData("Host=h;Port=fivefour;Password=secretpw", "does not fit its keyword")]
    public void BadKeywordStringsAreExplainedInOurWords(string text, string says)
    {
        var e = Assert.Throws<ClutterException>(() => PgConnectionSettings.Parse(text));
        Assert.Equal("InvalidConnectionString", e.ErrorId);
        Assert.Contains(says, e.Message);
        Assert.DoesNotContain("initialization string", e.Message);
        Assert.DoesNotContain("secretpw", e.Message);
    }

    [Fact]
    public void ParsesDatabaseUrl()
    {
        var s = PgConnectionSettings.Parse("postgresql://post%40gres:p%40ss%3Aw0rd@db.example.com:6543/my%20db?sslmode=require&application_name=x");
        Assert.Equal("db.example.com", s.Host);
        Assert.Equal(6543, s.Port);
        Assert.Equal("my db", s.Database);
        Assert.Equal("post@gres", s.Username);
        var env = s.ToolEnvironment();
        Assert.Equal("p@ss:w0rd", env["PGPASSWORD"]);
        Assert.Equal("require", env["PGSSLMODE"]);
        Assert.Equal("db.example.com", env["PGHOST"]);
        Assert.Equal("dbname='my db'", s.DbnameArgument);
        Assert.DoesNotContain("p@ss", s.ToString());
    }

    [Fact]
    public void ParsesKeywordStrings()
    {
        var s = PgConnectionSettings.Parse("Host=h;Port=5433;Database=d;Username=u;Password=secret");
        Assert.Equal(("h", 5433, "d", "u"), (s.Host, s.Port, s.Database, s.Username));
        Assert.Equal("secret", s.ToolEnvironment()["PGPASSWORD"]);
    }

    [Fact]
    public void CredentialOverridesUserAndPassword()
    {
        var s = PgConnectionSettings.Parse("postgresql://a:b@h/d", new System.Net.NetworkCredential("c", "e"));
        Assert.Equal("c", s.Username);
        Assert.Equal("e", s.ToolEnvironment()["PGPASSWORD"]);
    }

    [Fact]
    public void ParsesIpv6Hosts()
    {
        var s = PgConnectionSettings.Parse("postgres://u@[::1]:5999/d");
        Assert.Equal("::1", s.Host);
        Assert.Equal(5999, s.Port);
    }

    [Theory]
    [InlineData("postgresql://u:secretpw@h:notaport/d")]
    [InlineData("postgresql://u:secretpw@h/d?sslmode=sometimes")]
    [InlineData("postgresql://u:secretpw@h/d?bogus=1")]
    [InlineData("Host=h;Bogus Keyword=1;Password=secretpw")]
    [InlineData("   ")]
    public void MalformedConnectionStringsNeverEchoThePassword(string text)
    {
        var e = Assert.Throws<ClutterException>(() => PgConnectionSettings.Parse(text));
        Assert.Equal("InvalidConnectionString", e.ErrorId);
        Assert.DoesNotContain("secretpw", e.Message);
    }

    [Fact]
    public void ScrubMasksThePassword()
    {
        var s = PgConnectionSettings.Parse("postgresql://u:hunter22@h/d");
        Assert.Equal("failed for **** here", s.Scrub("failed for hunter22 here"));
    }

    [Fact]
    public void QuotesConninfoValues() => Assert.Equal(@"'it\'s a \\ db'", PgConnectionSettings.QuoteConninfo(@"it's a \ db"));

    [Theory]
    [InlineData("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", 15, 18)]
    [InlineData("pg_restore (PostgreSQL) 17beta1", 17, 0)]
    public void ParsesToolVersions(string text, int major, int minor) =>
        Assert.Equal(new Version(major, minor), PgTools.ParseVersion(text));
}

public class PgNamePatternTests
{
    [Theory]
    [InlineData("users", "public", "users", true)]
    [InlineData("users", "other", "users", true)]
    [InlineData("USERS", "public", "users", true)]
    [InlineData("public.users", "public", "users", true)]
    [InlineData("public.users", "other", "users", false)]
    [InlineData("dump*", "public", "dumps", true)]
    [InlineData("dump?", "public", "dumps", true)]
    [InlineData("dump?", "public", "dump", false)]
    [InlineData("\"Mixed Case\"", "public", "Mixed Case", true)]
    [InlineData("\"Mixed Case\"", "public", "mixed case", false)]
    [InlineData("\"odd.name*\"", "public", "odd.name*", true)]
    [InlineData("\"odd.name*\"", "public", "odd.namex", false)]
    [InlineData("\"Sch\".\"T\"\"q\"", "Sch", "T\"q", true)]
    public void MatchesAsPgDumpDoes(string pattern, string schema, string name, bool expected) =>
        Assert.Equal(expected, PgNamePattern.Parse(pattern).Matches(schema, name));

    [Theory]
    [InlineData("a.b.c")]
    [InlineData("\"unclosed")]
    [InlineData("schema.")]
    public void RejectsInvalidPatterns(string pattern) =>
        Assert.Equal("InvalidTablePattern", Assert.Throws<ClutterException>(() => PgNamePattern.Parse(pattern)).ErrorId);

    [Fact]
    public void SelectRequiresEveryIncludeToMatch()
    {
        var all = new[] { new PgRelation("public", "users", 'r'), new PgRelation("public", "dumps", 'r'), new PgRelation("public", "v", 'v') };
        var sel = PgCatalog.Select(all, new[] { "users", "v" }, Array.Empty<string>(), "db");
        Assert.Equal(new[] { "users", "v" }, sel.Select(r => r.Name));
        Assert.Equal(new[] { "users" }, PgCatalog.Select(all, Array.Empty<string>(), new[] { "dumps", "v" }, "db").Select(r => r.Name));
        var none = Assert.Throws<ClutterException>(() => PgCatalog.Select(all, Array.Empty<string>(), new[] { "*" }, "db"));
        Assert.Equal("NothingToBackUp", none.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, none.Kind);
        Assert.Equal(3, PgCatalog.Select(all, Array.Empty<string>(), Array.Empty<string>(), "db").Count);
        Assert.Empty(PgCatalog.Select(Array.Empty<PgRelation>(), Array.Empty<string>(), Array.Empty<string>(), "db")); // an empty database without filters is no error
        var e = Assert.Throws<ClutterException>(() => PgCatalog.Select(all, new[] { "nope" }, Array.Empty<string>(), "db"));
        Assert.Equal("TableNotFound", e.ErrorId);
        Assert.Equal("nope", e.Target);
    }
}

public class PgToolVersionTests
{
    [Fact]
    public void OlderToolThanServerIsRefusedWithTheVersionNeeded()
    {
        var e = Assert.Throws<ClutterException>(() => PgTools.EnsureVersion("pg_dump", "/usr/bin/pg_dump", new Version(14, 9), 15));
        Assert.Equal("PgToolTooOld", e.ErrorId);
        Assert.Equal(FailureKind.NotInstalled, e.Kind);
        Assert.Contains("15 or newer", e.Message);
        Assert.Contains(PgTools.BinVariable, e.Message);
        PgTools.EnsureVersion("pg_dump", "x", new Version(15, 0), 15);
        PgTools.EnsureVersion("pg_dump", "x", new Version(17, 2), 15);
    }
}

/// <summary>The client program search, over a folder tree shaped like a Windows machine's, built in a temp folder.</summary>
public sealed class PgToolSearchTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("clutterdr-pgtools-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Folder(params string[] parts)
    {
        var dir = Path.Combine(new[] { _root }.Concat(parts).ToArray());
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A stand-in client program that answers --version as pg_dump does (a shell script: Unix only).</summary>
    private string Tool(string folder, string file, string version)
    {
        var path = Path.Combine(folder, file);
        File.WriteAllText(path, $"#!/bin/sh\necho 'pg_dump (PostgreSQL) {version}'\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private PgToolEnvironment Windows(string? path = null, string? bin = null) => new()
    {
        BinFolder = bin,
        PathVariable = path,
        PathSeparator = ';',
        ProgramFilesFolders = new[] { Path.Combine(_root, "Program Files") },
        IsWindows = true,
        ExecutableSuffix = ".exe",
    };

    [Fact]
    public void WindowsFindsTheEdbInstallsNewestMajorFirstAfterPath()
    {
        var pf = Path.Combine("Program Files", "PostgreSQL");
        var v13 = Tool(Folder(pf, "13", "bin"), "pg_dump.exe", "13.4");
        var v16 = Tool(Folder(pf, "16", "bin"), "pg_dump.exe", "16.2");
        var v96 = Tool(Folder(pf, "9.6", "bin"), "pg_dump.exe", "9.6.24");
        Folder(pf, "17", "bin");                        // a major without pg_dump (psql only, say)
        Folder(pf, "data");                             // not a version: ignored
        Tool(Folder("elsewhere"), "pg_dump", "15.1");   // no .exe suffix: not the Windows program
        var onPath = Tool(Folder("onpath"), "pg_dump.exe", "15.1");

        Assert.Equal(new[] { v16, v13, v96 }, PgTools.Search("pg_dump", Windows(Path.Combine(_root, "elsewhere"))).Candidates);
        Assert.Equal(new[] { onPath, v16, v13, v96 }, PgTools.Search("pg_dump", Windows($"\"{Path.Combine(_root, "onpath")}\";;{Path.Combine(_root, "elsewhere")}")).Candidates);

        // Not Windows: Program Files is not searched, and the program has no suffix.
        var unix = Windows(Path.Combine(_root, "elsewhere")) with { IsWindows = false, ExecutableSuffix = "", PathSeparator = ':' };
        Assert.Equal(new[] { Path.Combine(_root, "elsewhere", "pg_dump") }, PgTools.Search("pg_dump", unix).Candidates);
    }

    [Fact]
    public void TheBinVariableIsTheOnlyPlaceSearchedWhenSet()
    {
        var pf = Path.Combine("Program Files", "PostgreSQL");
        Tool(Folder(pf, "16", "bin"), "pg_dump.exe", "16.2");
        var bin = Folder("custom");
        var search = PgTools.Search("pg_dump", Windows(bin: bin));
        Assert.Empty(search.Candidates);
        Assert.Equal(new[] { $"{PgTools.BinVariable} ('{bin}')" }, search.LookedIn);
        var own = Tool(bin, "pg_dump.exe", "15.1");
        Assert.Equal(new[] { own }, PgTools.Search("pg_dump", Windows(bin: bin)).Candidates);
    }

    [Fact]
    public void NotFoundSaysWhereItLooked()
    {
        var e = Assert.Throws<ClutterException>(() => PgTools.Find("pg_restore", 16, Windows(Folder("empty"))));
        Assert.Equal("PgToolNotFound", e.ErrorId);
        Assert.Equal(FailureKind.NotInstalled, e.Kind);
        Assert.Contains("PATH", e.Message);
        Assert.Contains(Path.Combine(_root, "Program Files", "PostgreSQL", "<major>", "bin"), e.Message);
        Assert.Contains(PgTools.BinVariable, e.Message);
    }

    [Fact]
    public void FindTakesTheFirstThatIsNewEnoughElseNamesTheNewestFound()
    {
        if (OperatingSystem.IsWindows()) return; // the stand-in programs are shell scripts
        var pf = Path.Combine("Program Files", "PostgreSQL");
        var v16 = Tool(Folder(pf, "16", "bin"), "pg_dump.exe", "16.2");
        Tool(Folder(pf, "13", "bin"), "pg_dump.exe", "13.4");
        var old = Tool(Folder("onpath"), "pg_dump.exe", "14.9");
        var env = Windows(Path.Combine(_root, "onpath"));

        Assert.Equal(old, PgTools.Find("pg_dump", 14, env).Path);          // PATH's is new enough: it wins
        var tool = PgTools.Find("pg_dump", 15, env);                       // PATH's is too old: the EDB 16 is used
        Assert.Equal((v16, new Version(16, 2)), (tool.Path, tool.Version));
        var e = Assert.Throws<ClutterException>(() => PgTools.Find("pg_dump", 17, env));
        Assert.Equal("PgToolTooOld", e.ErrorId);
        Assert.Equal(v16, e.Target);
    }
}

public class PgExitTests
{
    [Theory]
    [InlineData(0, "exit code 0")]
    [InlineData(1, "exit code 1")]
    [InlineData(128, "exit code 128")]
    [InlineData(137, "killed by signal 9 (SIGKILL)")]
    [InlineData(143, "killed by signal 15 (SIGTERM)")]
    [InlineData(158, "killed by signal 30")]
    [InlineData(255, "exit code 255")]
    public void AnExitReadsAsWhatHappened(int exit, string expected)
    {
        if (OperatingSystem.IsWindows()) expected = $"exit code {exit}";
        Assert.Equal(expected, Database.PgProcess.DescribeExit(exit));
    }
}
