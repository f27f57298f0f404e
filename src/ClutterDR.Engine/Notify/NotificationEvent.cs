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
        _ => null,
    };
}

/// <summary>The statuses a notification or heartbeat carries.</summary>
public static class NotificationStatus
{
    public const string Start = "start";
    public const string Success = "success";
    public const string Failed = "failed";
}
