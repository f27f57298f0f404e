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
}
