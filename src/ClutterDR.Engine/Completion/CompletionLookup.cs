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

    public static Task<IReadOnlyList<string>> ListBucketsAsync(S3Options s3, CancellationToken cancellationToken) =>
        S3ObjectStore.ListBucketsAsync(s3 with { MaxRetries = 0 }, Budget, cancellationToken);

    /// <summary>One page (up to 1,000 entries) of the delimiter listing of keys that start with keyPrefix.</summary>
    public static async Task<S3Level> ListS3LevelAsync(S3Options s3, string bucket, string keyPrefix, CancellationToken cancellationToken)
    {
        using var store = Open(BackupLocation.ForS3(bucket, ""), s3);
        var level = await store.ListLevelAsync(keyPrefix, cancellationToken).ConfigureAwait(false);
        return new S3Level(level.Prefixes, level.Keys);
    }

    /// <summary>A store for one lookup: no retries and the short timeout.</summary>
    private static IObjectStore Open(BackupLocation location, S3Options s3) =>
        ObjectStores.Open(location, s3 with { MaxRetries = 0 }, requestTimeout: Budget);

    /// <summary>
    /// Names of the folders directly below a repository location: backups are stored as
    /// &lt;location&gt;/&lt;database&gt;/&lt;database&gt;_&lt;time&gt;..., so these are the databases backed up there.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ListRepositoryDatabasesAsync(BackupLocation location, S3Options s3, CancellationToken cancellationToken)
    {
        using var store = Open(location, s3);
        var level = await store.ListLevelAsync("", cancellationToken).ConfigureAwait(false);
        return level.Prefixes
            .Select(p => p.TrimEnd('/'))
            .Where(n => n.Length > 0)
            .OrderBy(n => n, StringComparer.Ordinal).ToList();
    }

    /// <summary>The databases on the server a connection string points to (those that accept connections).</summary>
    public static Task<IReadOnlyList<string>> ListServerDatabasesAsync(PgConnectionSettings connection, CancellationToken cancellationToken) =>
        PgDatabases.ListAsync(connection, Budget, cancellationToken);
}
