using ClutterDR.Database;

namespace ClutterDR.Audit;

/// <summary>The audit table as Initialize-ClutterAuditLog and Get-ClutterAuditLog see it: created or upgraded, and read.</summary>
public static class AuditStore
{
    /// <summary>Creates backup_audit_log (or upgrades one of the runbook's shape in place, keeping its rows); idempotent.</summary>
    public static async Task InitializeAsync(PgConnectionSettings conn, IEngineHost host, CancellationToken cancellationToken)
    {
        var added = await AuditTable.EnsureAsync(conn, cancellationToken).ConfigureAwait(false);
        host.Verbose(added.Count == 0
            ? $"{AuditTable.Name} in {conn.Display} is up to date."
            : added.Count == AuditTable.AddedColumns.Length
                ? $"{AuditTable.Name} in {conn.Display} is ready (created, or upgraded from the runbook's shape: added {string.Join(", ", added)})."
                : $"{AuditTable.Name} in {conn.Display} upgraded: added {string.Join(", ", added)}.");
    }

    public static Task<List<AuditEntry>> QueryAsync(PgConnectionSettings conn, AuditRowQuery query, CancellationToken cancellationToken) =>
        AuditTable.QueryAsync(conn, query, cancellationToken);
}
