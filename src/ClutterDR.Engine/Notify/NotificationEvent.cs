namespace ClutterDR.Notify;

/// <summary>What a notification says (the same fields in every format): one run's outcome, or a status and message.</summary>
public sealed record NotificationEvent
{
    /// <summary>start, success or failed.</summary>
    public string Status { get; init; } = "success";
    /// <summary>database, config, restore, sync, verify, age, or what -Type said.</summary>
    public string Type { get; init; } = "message";
    public string? Database { get; init; }
    public string? Location { get; init; }
    public long? SizeBytes { get; init; }
    public TimeSpan? Duration { get; init; }
    public string? ErrorId { get; init; }
    public string? ErrorMessage { get; init; }
    public string? Message { get; init; }
    /// <summary>The plan (file) and job of a plan run's notification, and how many of its steps failed.</summary>
    public string? Plan { get; init; }
    public string? Job { get; init; }
    public int? StepsFailed { get; init; }
    public string Host { get; init; } = Environment.MachineName;
    public DateTime TimeUtc { get; init; } = DateTime.UtcNow;

    public bool IsFailure => Status == NotificationStatus.Failed;

    /// <summary>The event of one ClutterDR result object; null for an object of another kind.</summary>
    public static NotificationEvent? From(object item) => item switch
    {
        BackupInfo b => new() { Type = "database", Database = b.Database, Location = b.Location, SizeBytes = b.SizeBytes, Duration = b.CompletedUtc - b.CreatedUtc },
        RestoreResult r => new() { Type = "restore", Database = r.Database, Location = r.Backup, Duration = r.Duration },
        SyncSummary s => new()
        {
            Type = "sync", Location = s.Destination, SizeBytes = s.Bytes, Duration = s.Duration,
            Status = s.Failed > 0 ? NotificationStatus.Failed : NotificationStatus.Success,
            ErrorId = s.Failed > 0 ? Errors.SyncItemFailed.Id : null, ErrorMessage = s.Failed > 0 ? $"{s.Failed} item(s) could not be synced." : null,
            Message = s.ToString(),
        },
        BackupVerification v => new()
        {
            Type = "verify", Database = v.Backup?.Database, Location = v.Location, SizeBytes = v.Backup?.SizeBytes, Duration = v.Duration,
            Status = v.Status == VerificationStatus.Failed ? NotificationStatus.Failed : NotificationStatus.Success,
            ErrorId = v.Checks.FirstOrDefault(c => c.Status == VerificationStatus.Failed)?.ErrorId,
            ErrorMessage = v.Checks.FirstOrDefault(c => c.Status == VerificationStatus.Failed)?.Detail,
        },
        BackupAgeResult a => new()
        {
            Type = "age", Database = a.Database, Location = a.Latest ?? a.Location,
            Status = a.Healthy ? NotificationStatus.Success : NotificationStatus.Failed,
            Message = a.Age is TimeSpan age ? $"The newest backup is {Format.Duration(age)} old (at most {Format.Duration(a.MaxAge)})." : "No backup found.",
        },
        PlanResult p => FromPlan(p),
        _ => null,
    };

    /// <summary>A job of a plan: failed when any step failed or it was stopped; the first failed step's error.</summary>
    private static NotificationEvent FromPlan(PlanResult p)
    {
        var first = p.Steps.FirstOrDefault(s => s.Status == PlanStepStatus.Failed);
        int Count(PlanStepStatus status) => p.Steps.Count(s => s.Status == status);
        return new()
        {
            Type = "plan", Plan = System.IO.Path.GetFileName(p.Plan), Job = p.Job, Duration = p.Duration, StepsFailed = p.Failed,
            Status = p.Status == "Succeeded" ? NotificationStatus.Success : NotificationStatus.Failed,
            ErrorId = first?.ErrorId, ErrorMessage = first is null ? null : $"step '{first.Name}' ({first.Command}): {first.Error}",
            Message = $"job '{p.Job}' {p.Status.ToLowerInvariant()}: {Count(PlanStepStatus.Succeeded)} step(s) succeeded, {p.Failed} failed, {Count(PlanStepStatus.Skipped)} skipped",
        };
    }
}

/// <summary>The statuses a notification or heartbeat carries.</summary>
public static class NotificationStatus
{
    public const string Start = "start";
    public const string Success = "success";
    public const string Failed = "failed";
}
