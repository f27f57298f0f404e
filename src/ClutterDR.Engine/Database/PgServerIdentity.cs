using Npgsql;

namespace ClutterDR.Database;

/// <summary>
/// Which PostgreSQL cluster a connection reaches: its host:port and its system identifier (pg_control_system(),
/// the same on every database of one cluster and different on every other, a restored copy included). Recorded in
/// a backup's manifest so a restore drill can tell the source server from a scratch server.
/// </summary>
public sealed record PgServerIdentity(string Server, string? SystemIdentifier)
{
    private const string Sql = "select system_identifier::text from pg_catalog.pg_control_system()";

    /// <summary>The identity of the server of an open connection; the identifier is null when the role may not read it.</summary>
    public static async Task<PgServerIdentity> ReadAsync(NpgsqlConnection connection, PgConnectionSettings settings, CancellationToken cancellationToken)
    {
        string? id = null;
        try
        {
            await using var cmd = new NpgsqlCommand(Sql, connection);
            id = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }
        catch (PostgresException) { /* permission denied (a managed server): host:port is all that is known */ }
        return new PgServerIdentity(ServerOf(settings), id);
    }

    /// <summary>The identity of the server a connection string points to (through its maintenance database).</summary>
    public static async Task<PgServerIdentity> ReadAsync(PgConnectionSettings settings, CancellationToken cancellationToken)
    {
        await using var c = await PgDatabases.OpenMaintenanceAsync(settings, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(c, settings, cancellationToken).ConfigureAwait(false);
    }

    public static string ServerOf(PgConnectionSettings settings) => $"{settings.Host}:{settings.Port}";

    /// <summary>
    /// Whether this server is the one a backup recorded: the same system identifier when both are known, else the
    /// same host:port (case-insensitive); null when the backup recorded neither (an older manifest).
    /// </summary>
    public bool? IsSameAs(string? recordedServer, string? recordedSystemIdentifier)
    {
        if (SystemIdentifier is not null && recordedSystemIdentifier is not null)
            return string.Equals(SystemIdentifier, recordedSystemIdentifier, StringComparison.Ordinal);
        if (recordedServer is null) return null;
        return string.Equals(Server, recordedServer, StringComparison.OrdinalIgnoreCase);
    }
}
