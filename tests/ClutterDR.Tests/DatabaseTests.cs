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
