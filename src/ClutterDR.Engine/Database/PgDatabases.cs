using Npgsql;

namespace ClutterDR.Database;

/// <summary>Whether a database exists, and creating and dropping one (through the server's maintenance database).</summary>
public static class PgDatabases
{
    /// <summary>True when a connection to the database opens; false when the server says it does not exist.</summary>
    public static async Task<bool> ExistsAsync(PgConnectionSettings target, CancellationToken cancellationToken)
    {
        try
        {
            await using var c = await PgErrors.OpenAsync(target, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ClutterException e) when (e.Is(Errors.DatabaseNotFound))
        {
            return false;
        }
    }

    public static async Task CreateAsync(PgConnectionSettings target, CancellationToken cancellationToken)
    {
        await using var c = await OpenMaintenanceAsync(target, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var cmd = new NpgsqlCommand($"create database {PgCatalog.QuoteIdent(target.Database)}", c);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) { throw PgErrors.Map(e, target); }
    }

    /// <summary>Drops the database if it exists, ending its sessions (WITH (FORCE)).</summary>
    public static async Task DropAsync(PgConnectionSettings target, CancellationToken cancellationToken)
    {
        await using var c = await OpenMaintenanceAsync(target, cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand($"drop database if exists {PgCatalog.QuoteIdent(target.Database)} with (force)", c);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<NpgsqlConnection> OpenMaintenanceAsync(PgConnectionSettings target, CancellationToken cancellationToken)
    {
        try
        {
            return await PgErrors.OpenAsync(target.WithDatabase("postgres"), cancellationToken).ConfigureAwait(false);
        }
        catch (ClutterException e) when (e.Is(Errors.DatabaseNotFound))
        {
            return await PgErrors.OpenAsync(target.WithDatabase("template1"), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The databases on the server a connection string points to (those that accept connections), within a short timeout and no pool (tab completion).</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(PgConnectionSettings connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connection.Builder.ConnectionString)
        {
            Timeout = (int)Math.Ceiling(timeout.TotalSeconds),
            CommandTimeout = (int)Math.Ceiling(timeout.TotalSeconds),
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
