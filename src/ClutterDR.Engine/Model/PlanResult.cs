namespace ClutterDR;

/// <summary>How one step of a plan ended.</summary>
public enum PlanStepStatus { Succeeded, Failed, Skipped }

/// <summary>One step of a plan run: its cmdlet, how it ended, how long it took, what it wrote and the first error.</summary>
public sealed class PlanStepResult
{
    public string Name { get; init; } = "";
    public string Command { get; init; } = "";
    public PlanStepStatus Status { get; set; }
    public TimeSpan Duration { get; set; }
    /// <summary>One line: how many objects of which type, and the first ones ("1 BackupInfo: app ...").</summary>
    public string Output { get; set; } = "";
    /// <summary>The step's output objects themselves.</summary>
    public object[] Objects { get; set; } = [];
    public string? ErrorId { get; set; }
    /// <summary>The first error's message (one line), or why the step was skipped.</summary>
    public string? Error { get; set; }
    public override string ToString() => $"{Name} {Status}";
}

/// <summary>
/// The outcome of one job of Invoke-ClutterBackupPlan: every step with its status. Written before the terminating
/// PlanFailed (any step failed) or PlanStopped (stopped by a signal), so a script sees which step failed.
/// </summary>
public sealed class PlanResult
{
    public string Plan { get; init; } = "";
    public string Job { get; init; } = "";
    public DateTime StartedUtc { get; init; }
    public DateTime FinishedUtc { get; set; }
    public TimeSpan Duration => FinishedUtc - StartedUtc;
    public PlanStepResult[] Steps { get; set; } = [];
    /// <summary>Succeeded, Failed, or Stopped.</summary>
    public string Status { get; set; } = "";
    public bool WhatIf { get; init; }
    public int Failed => Steps.Count(s => s.Status == PlanStepStatus.Failed);
    public override string ToString() => $"{Job} {Status}";
}

/// <summary>One scheduler entry Export-ClutterSchedule made: a crontab file, a systemd unit, a Task Scheduler script.</summary>
public sealed class ScheduleEntry
{
    /// <summary>The job, or * for a file holding every job.</summary>
    public string Job { get; init; } = "";
    /// <summary>Cron, SystemdTimer or ScheduledTask.</summary>
    public string Format { get; init; } = "";
    public string Name { get; init; } = "";
    /// <summary>Where it was written (-Destination), else null.</summary>
    public string? Path { get; init; }
    public string Content { get; init; } = "";
    public override string ToString() => Content;
}
