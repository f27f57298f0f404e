namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs): the audit trail (Initialize-/Get-ClutterAuditLog, -AuditConnectionString).</summary>
public static partial class Errors
{
    public static readonly ErrorDef AuditLogNotFound = new("AuditLogNotFound", FailureKind.ObjectNotFound, Terminating: true,
        "`Get-ClutterAuditLog`: the database has no `backup_audit_log` table. Run `Initialize-ClutterAuditLog -ConnectionString ...` once against it (it is idempotent), or check the connection string's database.");

    public static readonly ErrorDef AuditTableIncompatible = new("AuditTableIncompatible", FailureKind.InvalidData, Terminating: true,
        "`Initialize-ClutterAuditLog`: a table named `backup_audit_log` exists but lacks a column of the guide's shape (id, backup_type, backup_location, backup_size, status, created_at, created_by) or has one of another type; nothing was changed. Rename that table, or point `-ConnectionString` at another database.");

    public static readonly ErrorDef RunStopped = new("RunStopped", FailureKind.OperationStopped, Terminating: true,
        "Recorded in an audit row (`error_id`): the run was stopped before it finished (Ctrl+C, a stop signal such as `systemctl stop`, or the pipeline ended early); what it was writing was not kept. Run it again.");
}
