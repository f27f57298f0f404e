namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). PostgreSQL: the server, the login and the client programs (pg_dump, pg_restore, psql).</summary>
public static partial class Errors
{
    public static readonly ErrorDef ServerUnreachable = new("ServerUnreachable", FailureKind.ConnectionError, Terminating: false,
        "The PostgreSQL host or port cannot be reached (refused, timed out, unknown host). Check the host, port, firewall and that the server runs.");

    public static readonly ErrorDef AuthenticationFailed = new("AuthenticationFailed", FailureKind.AuthenticationError, Terminating: false,
        "The server refused the user or password, or needs a password that was not given. Check the user and password: in the connection string, `-Credential`, `PGPASSWORD` or a `.pgpass` file.");

    public static readonly ErrorDef DatabaseNotFound = new("DatabaseNotFound", FailureKind.ObjectNotFound, Terminating: false,
        "The database of the connection string does not exist; for a restore, the target database does not exist (or, with `-DataOnly`, must exist). Check the name; for a restore add `-CreateDatabase` (not with `-DataOnly`) or create the database first.");

    public static readonly ErrorDef PermissionDenied = new("PermissionDenied", FailureKind.PermissionDenied, Terminating: false,
        "The login may not read some tables to be backed up (reported before the dump starts, naming them), or lacks another privilege, such as CREATEDB for `-CreateDatabase`. Use a role with the privileges (`GRANT SELECT`, `pg_read_all_data`, CREATEDB), or leave the tables out with `-ExcludeTable`.");

    public static readonly ErrorDef DatabaseError = new("DatabaseError", FailureKind.OperationFailed, Terminating: false,
        "Another error reported by PostgreSQL; the message gives its SQLSTATE and text. Act on the server's message.");

    public static readonly ErrorDef PgToolNotFound = new("PgToolNotFound", FailureKind.NotInstalled, Terminating: true,
        "Pg_dump, pg_restore or psql was not found (in `CLUTTERDR_PG_BIN`, on `PATH`, and on Windows in `%ProgramFiles%\\PostgreSQL\\<major>\\bin`), or could not be started. The message lists where ClutterDR looked. Install the PostgreSQL client (Debian: `apt-get install postgresql-client-NN`; Windows: the EDB installer), or set `CLUTTERDR_PG_BIN` to its bin folder.");

    public static readonly ErrorDef PgToolTooOld = new("PgToolTooOld", FailureKind.NotInstalled, Terminating: true,
        "The client program is older than the server (backup) or the backup (restore) needs. Install `postgresql-client-NN` of that version or newer and put it first on `PATH`, or set `CLUTTERDR_PG_BIN`.");
}
