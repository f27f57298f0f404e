using System.Management.Automation;
using ClutterDR.Audit;
using ClutterDR.Database;

namespace ClutterDR.Commands;

/// <summary>Initialize-ClutterAuditLog: creates the backup_audit_log table, or upgrades the runbook's in place; idempotent.</summary>
[Cmdlet(VerbsData.Initialize, "ClutterAuditLog")]
[OutputType(typeof(void))]
public sealed class InitializeClutterAuditLogCommand : AsyncCmdlet
{
    /// <summary>The PostgreSQL database that holds (or is to hold) the audit table.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string ConnectionString { get; set; } = "";

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    protected override Task EndProcessingAsync(CancellationToken cancellationToken) =>
        AuditStore.InitializeAsync(PgConnectionSettings.Parse(ConnectionString, DatabaseCredential.From(Credential)), Sink, cancellationToken);
}
