using Npgsql;
using ClutterDR.Storage;

namespace ClutterDR.Tests;

/// <summary>
/// Connection details of the real test servers that build.ps1 -Task Test starts
/// (tests/TestServices). A test that needs them fails, never skips, when they are missing.
/// </summary>
internal static class TestServers
{
    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v
            ? v
            : throw new InvalidOperationException($"{name} is not set: run the tests through 'dotnet pwsh ./build.ps1 -Task Test', which starts PostgreSQL and the S3 server.");

    public static string PgUrl(string database = "postgres") => $"postgresql://{PgUser}:{Uri.EscapeDataString(PgPassword)}@{PgHost}:{PgPort}/{database}";
    public static string PgHost => Require("CLUTTERDR_TEST_PG_HOST");
    public static string PgPort => Require("CLUTTERDR_TEST_PG_PORT");
    public static string PgUser => Require("CLUTTERDR_TEST_PG_USER");
    public static string PgPassword => Require("CLUTTERDR_TEST_PG_PASSWORD");
    public static string S3Endpoint => Require("CLUTTERDR_TEST_S3_ENDPOINT");
    public static string S3AccessKey => Require("CLUTTERDR_TEST_S3_ACCESS_KEY");
    public static string S3SecretKey => Require("CLUTTERDR_TEST_S3_SECRET_KEY");

    /// <summary>Ceph RGW: a real S3 implementation, the server every S3 test runs against.</summary>
    public static Storage.S3Options S3Options => new(S3Endpoint, "us-east-1", null, S3AccessKey, S3SecretKey);

    /// <summary>s3rver, a fake that ignores conditional writes and refuses server-side copies: for the fallback paths only.</summary>
    public static Storage.S3Options S3rverOptions => new(Require("CLUTTERDR_TEST_S3RVER_ENDPOINT"), "us-east-1", null,
        Require("CLUTTERDR_TEST_S3RVER_ACCESS_KEY"), Require("CLUTTERDR_TEST_S3RVER_SECRET_KEY"));

    /// <summary>A new empty bucket with a unique name (on RGW unless other options are given).</summary>
    public static async Task<string> NewBucketAsync(Storage.S3Options? options = null)
    {
        var name = "xt-" + Guid.NewGuid().ToString("N")[..12];
        using var client = Storage.S3ClientFactory.Create(options ?? S3Options);
        await client.PutBucketAsync(name);
        return name;
    }

    /// <summary>A new database with a unique name, created from SQL.</summary>
    public static async Task<string> NewDatabaseAsync(string? sql = null)
    {
        var name = "xt_" + Guid.NewGuid().ToString("N")[..10];
        await ExecAsync("postgres", $"create database {name}");
        if (sql is not null) await ExecAsync(name, sql);
        return name;
    }

    public static async Task ExecAsync(string database, string sql)
    {
        await using var c = await OpenAsync(database);
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<NpgsqlConnection> OpenAsync(string database)
    {
        var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = PgHost, Port = int.Parse(PgPort), Username = PgUser, Password = PgPassword, Database = database, Pooling = false,
        }.ConnectionString);
        await c.OpenAsync();
        return c;
    }
}
