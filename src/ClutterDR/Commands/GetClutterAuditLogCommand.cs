using System.Management.Automation;
using ClutterDR.Audit;
using ClutterDR.Database;

namespace ClutterDR.Commands;

/// <summary>Get-ClutterAuditLog: the rows of backup_audit_log, oldest first, filtered by time, status, type and database.</summary>
[Cmdlet(VerbsCommon.Get, "ClutterAuditLog")]
[OutputType(typeof(AuditEntry))]
public sealed class GetClutterAuditLogCommand : AsyncCmdlet
{
    /// <summary>The PostgreSQL database that holds the audit table.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string ConnectionString { get; set; } = "";

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Only runs started at or after this time.</summary>
    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>Only rows of these statuses.</summary>
    [Parameter]
    [ValidateSet("running", "success", "failed")]
    public string[] Status { get; set; } = Array.Empty<string>();

    /// <summary>Only rows of these types: database, restore, sync, config (or the runbook's own, such as full_database).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Type { get; set; } = Array.Empty<string>();

    /// <summary>Only rows about these databases.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Database { get; set; } = Array.Empty<string>();

    /// <summary>Only the newest N rows (still written oldest first).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        var conn = PgConnectionSettings.Parse(ConnectionString, DatabaseCredential.From(Credential));
        var rows = await AuditStore.QueryAsync(conn, new AuditRowQuery(Since?.ToUniversalTime(), Status, Type, Database, Last), cancellationToken).ConfigureAwait(false);
        foreach (var row in rows) await EmitObjectAsync(row).ConfigureAwait(false);
    }
}
