namespace ClutterDR;

/// <summary>The outcome of Test-ClutterBackupAge.</summary>
public sealed class BackupAgeResult
{
    public string Location { get; init; } = "";
    public string? Database { get; init; }
    /// <summary>Location of the newest complete backup, or null when there is none.</summary>
    public string? Latest { get; init; }
    public DateTime? LatestCreatedUtc { get; init; }
    public TimeSpan? Age { get; init; }
    public TimeSpan MaxAge { get; init; }
    public bool Healthy { get; init; }
    /// <summary>-MaxDrillAge: a restore drill must have passed within this span (null: drills not checked).</summary>
    public TimeSpan? MaxDrillAge { get; init; }
    /// <summary>When the newest passed restore drill of the database began (with -MaxDrillAge; null when none passed).</summary>
    public DateTime? LatestDrillPassedUtc { get; init; }
    public TimeSpan? DrillAge { get; init; }
    /// <summary>
    /// The errors this check raises, made by the engine: BackupTooOld when the newest backup is older than MaxAge, BackupNotFound when there is none.
    /// A cmdlet writes each as a non-terminating error after the object. Internal, so not a property PowerShell shows: the output keeps its properties.
    /// </summary>
    internal IReadOnlyList<ClutterException> Problems { get; set; } = [];
}
