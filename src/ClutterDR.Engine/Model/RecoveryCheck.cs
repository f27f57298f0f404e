namespace ClutterDR;

/// <summary>How one item of the recovery checklist went. Manual: no machine can check it; a person ticks it.</summary>
public enum RecoveryCheckStatus { Passed, Failed, Skipped, Manual }

/// <summary>
/// One check of Test-ClutterRecovery: an item of the guide's 14-point recovery checklist (Step, Check) applied to
/// one target (a database, a table pattern, a bucket, a URI), how it went, the evidence and how long it took.
/// </summary>
public sealed class RecoveryCheck
{
    /// <summary>The item's number in the guide's checklist (1-14).</summary>
    public int Step { get; init; }
    /// <summary>The checklist item, in the guide's words.</summary>
    public string Check { get; init; } = "";
    /// <summary>What was checked: host:port/database, a table, a location, a URI (never a password, a key or a query string).</summary>
    public string Target { get; init; } = "";
    public RecoveryCheckStatus Status { get; init; }
    public string Detail { get; init; } = "";
    public TimeSpan Duration { get; init; }
    /// <summary>When the check finished (UTC): the incident report's timeline.</summary>
    public DateTime CheckedUtc { get; init; }
    /// <summary>The ErrorId of the failure behind a failed check (ServerUnreachable, LocationNotFound, ...), when there was one.</summary>
    public string? ErrorId { get; init; }
    public bool Passed => Status == RecoveryCheckStatus.Passed;
    public override string ToString() => $"{Step}. {Check}: {Status}{(Target.Length > 0 ? " (" + Target + ")" : "")}";
}
