namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). Restore-ClutterDatabase: the target, the selection of tables and the verification after it.</summary>
public static partial class Errors
{
    public static readonly ErrorDef TargetNotEmpty = new("TargetNotEmpty", FailureKind.ResourceExists, Terminating: false,
        "The target database already has tables (or, with `-Table`, one of those tables). Add `-Clean` to replace what the backup contains, `-DataOnly` to reload rows only, or restore into a new database with `-CreateDatabase`.");

    public static readonly ErrorDef MultipleBackupsForOneTarget = new("MultipleBackupsForOneTarget", FailureKind.InvalidArgument, Terminating: false,
        "Several backups were given for one target (such as `-Latest` over a location with several databases); nothing was restored. Pick one (`Get-ClutterBackup <location> -Database <name> -Latest`), or restore each database into its own target.");

    public static readonly ErrorDef TableRequired = new("TableRequired", FailureKind.InvalidArgument, Terminating: false,
        "`-DataOnly` was given without `-Table`. Name the tables with `-Table`.");

    public static readonly ErrorDef TableFilterNotSupported = new("TableFilterNotSupported", FailureKind.InvalidArgument, Terminating: false,
        "`-Table` on the restore of a plain-format backup. Restore all of it, or back up with `-Format Custom`.");

    public static readonly ErrorDef ReferencingRowsWouldBeLost = new("ReferencingRowsWouldBeLost", FailureKind.OperationFailed, Terminating: false,
        "`-DataOnly` empties the selected tables first, and rows of tables outside `-Table` reference them; nothing was changed. Add those tables to `-Table`, or add `-Cascade` to empty them too.");

    public static readonly ErrorDef ConfirmationRequired = new("ConfirmationRequired", FailureKind.PermissionDenied, Terminating: true,
        "The restore needs confirmation and the session cannot ask (`pwsh -NonInteractive`, a scheduled job); nothing was changed. Add `-Confirm:$false`, or `-WhatIf` to see what it would do.");

    public static readonly ErrorDef RestoreFailed = new("RestoreFailed", FailureKind.OperationFailed, Terminating: false,
        "Pg_restore or psql failed; the message includes the end of its error output. Its transaction was rolled back, so the target is as it was. Act on the program's message.");

    public static readonly ErrorDef RowCountMismatch = new("RowCountMismatch", FailureKind.InvalidData, Terminating: false,
        "The restore finished, but row counts differ from the manifest's; the result is output as well. Check the target before using it.");

    public static readonly ErrorDef DefinitionMismatch = new("DefinitionMismatch", FailureKind.InvalidData, Terminating: false,
        "The restore finished, but a restored table's columns, constraints, indexes, triggers or policies differ from those the backup recorded (such as a foreign key to a table that was not restored). Compare them (`\\d` in psql) before using the target.");
}
