namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). The restore drill (Test-ClutterRestore) and the drill age (Test-ClutterBackupAge -MaxDrillAge).</summary>
public static partial class Errors
{
    public static readonly ErrorDef DrillFailed = new("DrillFailed", FailureKind.InvalidData, Terminating: false,
        "A restore drill failed: the restore, a row count, a table definition, `pg_amcheck`, a required extension, a `-Query` or an objective did not hold; the message lists every reason and the DrillResult is returned and recorded as well. The scratch database was dropped (unless `-KeepDatabase`). Act on each reason; restore an older backup if this one is damaged.");

    public static readonly ErrorDef DrillDatabaseExists = new("DrillDatabaseExists", FailureKind.ResourceExists, Terminating: false,
        "The scratch database a drill would create (`clutterdr_drill_<db>_<UTC time>`) already exists on the server, so the drill did not touch it. Drop it (`DROP DATABASE`) if it is a kept drill's, or run the drill again a second later.");

    public static readonly ErrorDef DrillOnSourceServer = new("DrillOnSourceServer", FailureKind.InvalidArgument, Terminating: false,
        "`-ConnectionString` of `Test-ClutterRestore` names the server the backup was taken from (same system identifier, or same host and port), and a drill restores onto a scratch server. Point it at a scratch server, or add `-AllowSourceServer` to drill on the source server on purpose.");

    public static readonly ErrorDef InvalidDrillQuery = new("InvalidDrillQuery", FailureKind.InvalidArgument, Terminating: false,
        "A `-Query` entry of `Test-ClutterRestore` has an empty name or empty SQL. Give `@{ 'name' = 'select ...' }` with SQL that returns one boolean or rows.");

    public static readonly ErrorDef DrillTooOld = new("DrillTooOld", FailureKind.LimitsExceeded, Terminating: false,
        "`Test-ClutterBackupAge -MaxDrillAge`: the newest passed restore drill of a database is older than `-MaxDrillAge`. Run `Test-ClutterRestore` (the monthly drill), and fix what made later drills fail.");

    public static readonly ErrorDef NoDrillFound = new("NoDrillFound", FailureKind.ObjectNotFound, Terminating: false,
        "`Test-ClutterBackupAge -MaxDrillAge`: no restore drill of a database has passed (none is recorded under `<location>/<db>/drills/`, or all failed). Run `Test-ClutterRestore` against that location.");
}
