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

    private static async Task<NpgsqlConnection> OpenMaintenanceAsync(PgConnectionSettings target, CancellationToken cancellationToken)
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
}
