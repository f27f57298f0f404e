namespace ClutterDR;

public enum VerificationStatus { Passed, Failed, Skipped }

/// <summary>One check of Test-ClutterBackup: what was checked, how it went, and the evidence.</summary>
public sealed class VerificationCheck
{
    public string Name { get; init; } = "";
    public VerificationStatus Status { get; init; }
    public string Detail { get; init; } = "";
    /// <summary>The ErrorId of a failed check (ChecksumMismatch, BackupTruncated, ...).</summary>
    public string? ErrorId { get; init; }
    public override string ToString() => $"{Name}: {Status}";
}

/// <summary>The outcome of Test-ClutterBackup for one backup.</summary>
public sealed class BackupVerification
{
    /// <summary>The backup, when its manifest could be read.</summary>
    public BackupInfo? Backup { get; init; }
    public string Location { get; init; } = "";
    public VerificationCheck[] Checks { get; init; } = Array.Empty<VerificationCheck>();
    /// <summary>Passed when no check failed (skipped checks do not fail a backup).</summary>
    public VerificationStatus Status => Checks.Any(c => c.Status == VerificationStatus.Failed) ? VerificationStatus.Failed : VerificationStatus.Passed;
    public TimeSpan Duration { get; init; }
    /// <summary>
    /// The errors this test raises, made by the engine: one per failed check, with that check's ErrorId.
    /// A cmdlet writes each as a non-terminating error after the object. Internal, so not a property PowerShell shows: the output keeps its properties.
    /// </summary>
    internal IReadOnlyList<ClutterException> Problems { get; set; } = [];
    public override string ToString() => $"{Location}: {Status}";
}
