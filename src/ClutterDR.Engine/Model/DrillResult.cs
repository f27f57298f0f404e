namespace ClutterDR;

/// <summary>One table of a drill: the rows the backup's manifest counted and the rows the scratch database holds.</summary>
public sealed class DrillTable
{
    public string Schema { get; init; } = "";
    public string Name { get; init; } = "";
    public long ExpectedRows { get; init; }
    public long? ActualRows { get; init; }
    /// <summary>Rows match and the table's definition equals the archive's.</summary>
    public bool Ok { get; init; }
    public string QualifiedName => $"{Schema}.{Name}";
    public override string ToString() => $"{QualifiedName}: expected {ExpectedRows}, actual {ActualRows?.ToString() ?? "missing"}";
}

/// <summary>One named check of a drill (an extension, a -Query): whether it held and what was seen.</summary>
public sealed class DrillCheck
{
    public string Name { get; init; } = "";
    public bool Passed { get; init; }
    public string Detail { get; init; } = "";
    public override string ToString() => $"{Name}: {(Passed ? "passed" : "failed")}{(Detail.Length > 0 ? " (" + Detail + ")" : "")}";
}

/// <summary>
/// The outcome of Test-ClutterRestore (the restore drill): the backup restored into a scratch database,
/// the measured RTO (RestoreDuration) and achieved RPO (BackupAge) against their objectives, and every check.
/// Recorded as JSON under &lt;location&gt;/&lt;db&gt;/drills/ (never a secret) and listed by Get-ClutterDrill.
/// </summary>
public sealed class DrillResult
{
    /// <summary>The backup's location (s3://... or a file path).</summary>
    public string Backup { get; init; } = "";
    public string Database { get; init; } = "";
    public string ScratchDatabase { get; init; } = "";
    /// <summary>host:port of the scratch server (never a password).</summary>
    public string Server { get; init; } = "";
    public DateTime BackupCreatedUtc { get; init; }
    /// <summary>The measured RTO of the database part: download, restore and checks.</summary>
    public TimeSpan RestoreDuration { get; init; }
    /// <summary>The achieved RPO: how old the backup was when the drill began.</summary>
    public TimeSpan BackupAge { get; init; }
    public TimeSpan? RtoObjective { get; init; }
    public TimeSpan? RpoObjective { get; init; }
    public bool? RtoMet { get; init; }
    public bool? RpoMet { get; init; }
    public DrillTable[] Tables { get; init; } = Array.Empty<DrillTable>();
    /// <summary>Passed, Failed or Skipped (-NoIntegrityCheck): pg_amcheck over the scratch database.</summary>
    public string IntegrityCheck { get; init; } = "Skipped";
    public string? IntegrityDetail { get; init; }
    public DrillCheck[] Extensions { get; init; } = Array.Empty<DrillCheck>();
    public DrillCheck[] Queries { get; init; } = Array.Empty<DrillCheck>();
    /// <summary>Passed or Failed.</summary>
    public string Status { get; init; } = "";
    /// <summary>Why it failed, one line per reason (empty when it passed).</summary>
    public string[] Failures { get; init; } = Array.Empty<string>();
    public DateTime StartedUtc { get; init; }
    public DateTime FinishedUtc { get; init; }
    /// <summary>True when -KeepDatabase left the scratch database on the server.</summary>
    public bool KeptDatabase { get; init; }
    public bool Passed => Status == "Passed";
    /// <summary>
    /// The error a failed drill raises, made by the engine: DrillFailed with every reason. A cmdlet writes it as a
    /// non-terminating error after the object. Internal, so neither a property PowerShell shows nor part of the recorded JSON.
    /// </summary>
    internal IReadOnlyList<ClutterException> Problems { get; set; } = [];
    public override string ToString() => $"{Database} drill {Status} ({ScratchDatabase})";
}
