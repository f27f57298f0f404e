namespace ClutterDR;

/// <summary>One row of the backup_audit_log table (Get-ClutterAuditLog): a backup, restore, sync or configuration backup, from its start.</summary>
public sealed class AuditEntry
{
    public Guid Id { get; init; }
    /// <summary>database, restore, sync, config (rows of the runbook's own scripts keep theirs, e.g. full_database).</summary>
    public string Type { get; init; } = "";
    public string Location { get; init; } = "";
    public long? SizeBytes { get; init; }
    /// <summary>running, success or failed.</summary>
    public string Status { get; init; } = "";
    /// <summary>When the run started (UTC; rows written by the runbook's scripts: the server's time zone).</summary>
    public DateTime? CreatedAt { get; init; }
    public string? CreatedBy { get; init; }
    public DateTime? FinishedAt { get; init; }
    public TimeSpan? Duration { get; init; }
    public string? Database { get; init; }
    public string? Sha256 { get; init; }
    public string? ErrorId { get; init; }
    public string? ErrorMessage { get; init; }
    public string? Host { get; init; }
    public string? ToolVersion { get; init; }
    public string? Plan { get; init; }
    public string? Job { get; init; }

    public override string ToString() => $"{CreatedAt:yyyy-MM-dd HH:mm:ss} {Type} {Status} {Location}";
}
