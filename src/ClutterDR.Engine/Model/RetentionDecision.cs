namespace ClutterDR;

/// <summary>What Remove-ClutterBackup did with a backup: Removed, Kept (by a rule or the safety floor), or WouldRemove (-WhatIf).</summary>
public enum RetentionAction { Removed, Kept, WouldRemove }

/// <summary>
/// One backup (or orphaned data object) as Remove-ClutterBackup decided it, with every reason: the rules that keep it
/// ("daily 2026-11-30", "weekly 2026-W48", "last 3", "within 90.00:00:00"), the floor ("newest", "pinned",
/// "drill running", "locked until ..."), or why it goes ("no rule keeps it", "orphan: no manifest").
/// </summary>
public sealed class RetentionDecision
{
    public RetentionAction Action { get; init; }
    public string Database { get; init; } = "";
    /// <summary>When the backup was started (UTC); for an orphan, when its data object was last written.</summary>
    public DateTime CreatedUtc { get; init; }
    public string[] Reasons { get; init; } = Array.Empty<string>();
    /// <summary>The data object (s3://bucket/key or a file path).</summary>
    public string Location { get; init; } = "";
    /// <summary>The backup as listed; null for an orphaned data object (it has no manifest).</summary>
    public BackupInfo? Backup { get; init; }
    /// <summary>A data object without a manifest (what a killed backup left), removed with -IncludeOrphans.</summary>
    public bool Orphan { get; init; }

    public override string ToString() => $"{Action}: {Location} ({string.Join(", ", Reasons)})";
}
