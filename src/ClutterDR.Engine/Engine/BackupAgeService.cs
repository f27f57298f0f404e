using ClutterDR.Catalog;
using ClutterDR.Repositories;

namespace ClutterDR.Engine;

public sealed record BackupAgeQuery
{
    public required BackupLocation Location { get; init; }
    public S3Options S3 { get; init; } = new();
    public string? Database { get; init; }
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(48);
    public Action<ClutterException>? OnDamaged { get; init; }
    public Action<string>? OnVerbose { get; init; }
}

/// <summary>The guide's 48-hour alarm: is the newest complete backup younger than MaxAge? Reads one manifest.</summary>
public static class BackupAgeService
{
    public static async Task<BackupAgeResult> CheckAsync(BackupAgeQuery query, CancellationToken cancellationToken)
    {
        var latest = (await BackupCatalog.FindAsync(new BackupQuery
        {
            Location = query.Location,
            S3 = query.S3,
            Database = query.Database,
            Newest = 1,
            OnDamaged = query.OnDamaged,
            OnVerbose = query.OnVerbose,
        }, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        if (latest is null)
            return new BackupAgeResult { Location = query.Location.ToString(), Database = query.Database, MaxAge = query.MaxAge, Healthy = false };
        var age = latest.Age;
        return new BackupAgeResult
        {
            Location = query.Location.ToString(),
            Database = latest.Database,
            Latest = latest.Location,
            LatestCreatedUtc = latest.CreatedUtc,
            Age = age,
            MaxAge = query.MaxAge,
            Healthy = age <= query.MaxAge,
        };
    }
}
