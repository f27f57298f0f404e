using Amazon.S3;
using Amazon.S3.Model;
using Npgsql;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Storage;

namespace ClutterDR.Completion;

/// <summary>One level of an S3 listing: the "folders" (common prefixes) and object keys directly below a prefix.</summary>
public sealed record S3Level(IReadOnlyList<string> Prefixes, IReadOnlyList<string> Keys);

/// <summary>
/// The lookups behind tab completion: bucket names, one level of an S3 listing, the database folders of a
/// repository, the databases on a server. Each is one small request with a short timeout and no retries,
/// because a user is waiting at the prompt; callers treat any failure as "nothing to offer".
/// </summary>
public static class CompletionLookup
{
    /// <summary>How long a completion may take before it gives up.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    public static async Task<IReadOnlyList<string>> ListBucketsAsync(S3Options s3, CancellationToken cancellationToken)
    {
        using var client = S3ClientFactory.Create(s3, Budget);
        var response = await client.ListBucketsAsync(new ListBucketsRequest(), cancellationToken).ConfigureAwait(false);
        return (response.Buckets ?? new List<S3Bucket>()).Select(b => b.BucketName).OrderBy(n => n, StringComparer.Ordinal).ToList();
    }

    /// <summary>One page (up to 1,000 entries) of the delimiter listing of keys that start with keyPrefix.</summary>
    public static async Task<S3Level> ListS3LevelAsync(S3Options s3, string bucket, string keyPrefix, CancellationToken cancellationToken)
    {
        using var client = S3ClientFactory.Create(s3, Budget);
        return await ListLevelAsync(client, bucket, keyPrefix, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<S3Level> ListLevelAsync(IAmazonS3 client, string bucket, string keyPrefix, CancellationToken cancellationToken)
    {
        var response = await client.ListObjectsV2Async(new ListObjectsV2Request
        {
            BucketName = bucket,
            Prefix = keyPrefix,
            Delimiter = "/",
            MaxKeys = 1000,
        }, cancellationToken).ConfigureAwait(false);
        var level = new S3Level(
            (response.CommonPrefixes ?? new List<string>()).ToList(),
            (response.S3Objects ?? new List<S3Object>()).Select(o => o.Key).ToList());
        if (level.Prefixes.Count > 0 || level.Keys.Count > 0) return level;

        // Some S3-compatible servers (s3rver among them) leave out common prefixes that lie more than one
        // level deep. An empty answer costs one more request: the first 1,000 keys, grouped here.
        var flat = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = keyPrefix, MaxKeys = 1000 },
            cancellationToken).ConfigureAwait(false);
        var prefixes = new SortedSet<string>(StringComparer.Ordinal);
        var keys = new List<string>();
        foreach (var o in flat.S3Objects ?? new List<S3Object>())
        {
            var slash = o.Key.IndexOf('/', keyPrefix.Length);
            if (slash < 0) keys.Add(o.Key); else prefixes.Add(o.Key.Substring(0, slash + 1));
        }
        return new S3Level(prefixes.ToList(), keys);
    }

    /// <summary>
    /// Names of the folders directly below a repository location: backups are stored as
    /// &lt;location&gt;/&lt;database&gt;/&lt;database&gt;_&lt;time&gt;..., so these are the databases backed up there.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ListRepositoryDatabasesAsync(BackupLocation location, S3Options s3, CancellationToken cancellationToken)
    {
        if (!location.IsS3)
        {
            if (!Directory.Exists(location.Path)) return Array.Empty<string>();
            return Directory.EnumerateDirectories(location.Path)
                .Select(d => System.IO.Path.GetFileName(d))
                .OrderBy(n => n, StringComparer.Ordinal).ToList();
        }
        using var client = S3ClientFactory.Create(s3, Budget);
        var basePrefix = location.Prefix.Length == 0 ? "" : location.Prefix + "/";
        var level = await ListLevelAsync(client, location.Bucket, basePrefix, cancellationToken).ConfigureAwait(false);
        return level.Prefixes
            .Select(p => p.Substring(basePrefix.Length).TrimEnd('/'))
            .Where(n => n.Length > 0)
            .OrderBy(n => n, StringComparer.Ordinal).ToList();
    }

    /// <summary>The databases on the server a connection string points to (those that accept connections).</summary>
    public static async Task<IReadOnlyList<string>> ListServerDatabasesAsync(PgConnectionSettings connection, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connection.Builder.ConnectionString)
        {
            Timeout = (int)Budget.TotalSeconds,
            CommandTimeout = (int)Budget.TotalSeconds,
            Pooling = false,
        };
        await using var conn = new NpgsqlConnection(builder.ConnectionString);
        await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("select datname from pg_database where datallowconn and not datistemplate order by 1", conn);
        var names = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) names.Add(reader.GetString(0));
        return names;
    }
}
