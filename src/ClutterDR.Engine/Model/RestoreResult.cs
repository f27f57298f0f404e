namespace ClutterDR;

/// <summary>One table after a restore: what the manifest promised and what the target holds.</summary>
public sealed class TableVerification
{
    public string Schema { get; init; } = "";
    public string Name { get; init; } = "";
    public long ExpectedRows { get; init; }
    public long? ActualRows { get; init; }
    public bool Matches => ActualRows == ExpectedRows;
    public string QualifiedName => $"{Schema}.{Name}";
    public override string ToString() => $"{QualifiedName}: expected {ExpectedRows}, actual {ActualRows?.ToString() ?? "missing"}";
}

/// <summary>The outcome of Restore-ClutterDatabase.</summary>
public sealed class RestoreResult
{
    public string Database { get; init; } = "";
    public string Backup { get; init; } = "";
    public DateTime BackupCreatedUtc { get; init; }
    public TimeSpan Duration { get; init; }
    public TableVerification[] Tables { get; init; } = Array.Empty<TableVerification>();
    public bool Verified { get; init; }
}
