namespace ClutterDR;

/// <summary>One table after a restore: what the manifest promised and what the target holds.</summary>
public sealed class TableVerification
{
    public string Schema { get; init; } = "";
    public string Name { get; init; } = "";
    public long ExpectedRows { get; init; }
    public long? ActualRows { get; init; }
    /// <summary>Fingerprint of the table's definition in the backup's manifest (null for an older backup, which has none).</summary>
    public string? ExpectedDefinition { get; init; }
    /// <summary>Fingerprint of the table's definition in the target after the restore.</summary>
    public string? ActualDefinition { get; init; }
    public bool RowsMatch => ActualRows == ExpectedRows;
    /// <summary>Fingerprint of the table's grants in the backup's manifest (null: not recorded, or not restored).</summary>
    public string? ExpectedGrants { get; init; }
    public string? ActualGrants { get; init; }
    /// <summary>True when the grants equal the backup's; null when not compared.</summary>
    public bool? GrantsMatch => ExpectedGrants is null ? null : string.Equals(ExpectedGrants, ActualGrants, StringComparison.Ordinal);
    /// <summary>True when the columns, constraints, indexes, triggers and policies equal the backup's; null when the backup did not record them.</summary>
    public bool? DefinitionMatches => ExpectedDefinition is null ? null : string.Equals(ExpectedDefinition, ActualDefinition, StringComparison.Ordinal);
    public bool Matches => RowsMatch && DefinitionMatches != false && GrantsMatch != false;
    public string QualifiedName => $"{Schema}.{Name}";
    public override string ToString() =>
        $"{QualifiedName}: expected {ExpectedRows} rows, actual {ActualRows?.ToString() ?? "missing"}{(DefinitionMatches == false ? ActualRows is null ? "" : ", definition differs from the backup's" : "")}";
}

/// <summary>The outcome of Restore-ClutterDatabase.</summary>
public sealed class RestoreResult
{
    public string Database { get; init; } = "";
    public string Backup { get; init; } = "";
    public DateTime BackupCreatedUtc { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>When the restore (and its verification) finished (UTC); it began Duration earlier. The incident report's timeline.</summary>
    public DateTime FinishedUtc { get; init; }
    public TableVerification[] Tables { get; init; } = Array.Empty<TableVerification>();
    /// <summary>Database (the whole backup), Tables (-Table: whole tables) or TableData (-Table -DataOnly).</summary>
    public string Scope { get; init; } = "Database";
    public bool Verified { get; init; }
    /// <summary>What the target was taken for: Supabase (a project: only the project's objects restored) or PostgreSQL.</summary>
    public string TargetKind { get; init; } = "PostgreSQL";
    /// <summary>Roles the restore created (-CreateMissingRoles, or the roles a backup made with -IncludeRoles stored).</summary>
    public string[] CreatedRoles { get; init; } = Array.Empty<string>();
    /// <summary>
    /// The errors this restore's verification raises, made by the engine: RowCountMismatch, DefinitionMismatch (Verified is false then).
    /// A cmdlet writes each as a non-terminating error after the object. Internal, so not a property PowerShell shows: the output keeps its properties.
    /// </summary>
    internal IReadOnlyList<ClutterException> Problems { get; set; } = [];
}
