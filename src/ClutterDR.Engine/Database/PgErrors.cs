using System.Net.Sockets;
using Npgsql;

namespace ClutterDR.Database;

/// <summary>Turns Npgsql failures into ClutterExceptions that name the server, never the password.</summary>
internal static class PgErrors
{
    public static Exception Map(Exception e, PgConnectionSettings connection)
    {
        if (e is ClutterException or OperationCanceledException) return e;
        var target = connection.Display;
        var message = connection.Scrub(e.Message);
        switch (e)
        {
            case PostgresException pg when pg.SqlState is "28P01" or "28000":
                return new ClutterException(Errors.AuthenticationFailed,
                    $"PostgreSQL at {target} refused the login of user '{connection.Username}': {connection.Scrub(pg.MessageText)}. Check the user and password (-Credential or the connection string).",
                    target, e);
            case PostgresException pg when pg.SqlState == "3D000":
                return new ClutterException(Errors.DatabaseNotFound,
                    $"The database '{connection.Database}' does not exist on {connection.Host}:{connection.Port}. Check the name in the connection string{(pg.MessageText.Contains("does not exist") ? "" : "")}.",
                    connection.Database, e);
            case PostgresException pg when pg.SqlState == "42501":
                return new ClutterException(Errors.PermissionDenied,
                    $"PostgreSQL at {target} denied user '{connection.Username}': {connection.Scrub(pg.MessageText)}. Use a role with the needed privileges.",
                    target, e);
            case PostgresException pg:
                return new ClutterException(Errors.DatabaseError,
                    $"PostgreSQL at {target} reported {pg.SqlState}: {connection.Scrub(pg.MessageText)}", target, e);
            case NpgsqlException when e.Message.Contains("password", StringComparison.OrdinalIgnoreCase):
                return new ClutterException(Errors.AuthenticationFailed,
                    $"PostgreSQL at {target} needs a password for user '{connection.Username}': {message}. Give it in the connection string, with -Credential, in PGPASSWORD or in a .pgpass file.",
                    target, e);
            case NpgsqlException { InnerException: SocketException or TimeoutException or IOException }:
            case NpgsqlException when e.Message.Contains("connect", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("timeout", StringComparison.OrdinalIgnoreCase):
            case SocketException:
                return new ClutterException(Errors.ServerUnreachable,
                    $"PostgreSQL at {connection.Host}:{connection.Port} could not be reached: {message}. Check the host, port, firewall and that the server is running.",
                    target, e);
            case NpgsqlException:
                return new ClutterException(Errors.DatabaseError,
                    $"PostgreSQL at {target} failed: {message}", target, e);
            default:
                return e;
        }
    }

    public static async Task<NpgsqlConnection> OpenAsync(PgConnectionSettings connection, CancellationToken cancellationToken)
    {
        var c = connection.CreateConnection();
        try
        {
            await c.OpenAsync(cancellationToken).ConfigureAwait(false);
            return c;
        }
        catch (Exception e)
        {
            await c.DisposeAsync().ConfigureAwait(false);
            throw Map(e, connection);
        }
    }
}
