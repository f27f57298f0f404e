using Npgsql;

namespace ClutterDR.Database;

/// <summary>An installed or available extension of a live database: the installed version (null when not installed) and whether the server offers it.</summary>
public sealed record PgExtensionState(string Name, string? InstalledVersion, bool Available);

/// <summary>
/// One open connection to a live database, for checks after a recovery (Test-ClutterRecovery): the server's
/// version, its tables, exact row counts and its extensions. Failures are ClutterExceptions that name the server, never the password.
/// </summary>
public sealed class PgLiveDatabase : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly PgConnectionSettings _settings;

    private PgLiveDatabase(NpgsqlConnection connection, PgConnectionSettings settings) { _connection = connection; _settings = settings; }

    public static async Task<PgLiveDatabase> OpenAsync(PgConnectionSettings settings, CancellationToken cancellationToken) =>
        new(await PgErrors.OpenAsync(settings, cancellationToken).ConfigureAwait(false), settings);

    /// <summary>The server's version text, e.g. "15.18".</summary>
    public string ServerVersion => _connection.ServerVersion;

    /// <summary>The relations pg_dump would dump (tables, views, sequences ...), as the backup listing sees them.</summary>
    public Task<List<PgRelation>> RelationsAsync(CancellationToken cancellationToken) =>
        Mapped(() => PgCatalog.ListRelationsAsync(_connection, cancellationToken));

    /// <summary>The exact row count of a table (count(*), not the planner's estimate).</summary>
    public Task<long> CountRowsAsync(PgRelation relation, CancellationToken cancellationToken) =>
        Mapped(() => PgCatalog.CountRowsAsync(_connection, relation, cancellationToken));

    /// <summary>Each named extension: installed (and its version) or not, and whether the server could install it.</summary>
    public Task<List<PgExtensionState>> ExtensionsAsync(IReadOnlyList<string> names, CancellationToken cancellationToken) => Mapped(async () =>
    {
        const string sql = """
            select n, e.extversion, exists (select 1 from pg_catalog.pg_available_extensions a where a.name = n)
            from unnest(@names) as n
            left join pg_catalog.pg_extension e on e.extname = n
            """;
        var list = new List<PgExtensionState>();
        await using var cmd = new NpgsqlCommand(sql, _connection);
        cmd.Parameters.AddWithValue("names", names.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            list.Add(new PgExtensionState(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2)));
        return list;
    });

    private async Task<T> Mapped<T>(Func<Task<T>> query)
    {
        try { return await query().ConfigureAwait(false); }
        catch (Exception e) when (e is not ClutterException and not OperationCanceledException) { throw PgErrors.Map(e, _settings); }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
