using ClutterDR.Catalog;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Verify;

public sealed record BackupAgeQuery
{
    public required BackupLocation Location { get; init; }
    public S3Options S3 { get; init; } = new();
    /// <summary>Only these databases; null or empty: every database found under the location.</summary>
    public IReadOnlyList<string>? Databases { get; init; }
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(48);
    /// <summary>Also: a restore drill of each database passed within this span (null: drills are not checked).</summary>
    public TimeSpan? MaxDrillAge { get; init; }
    /// <summary>Told (ProblemAsync) of each backup whose manifest cannot be read; the check goes on with the next older one.</summary>
    public IEngineHost Host { get; init; } = NullHost.Instance;
    public Action<string>? OnVerbose { get; init; }
}

/// <summary>
/// The guide's 48-hour alarm, for every database under a location (or the ones named): is its newest
/// complete backup younger than MaxAge? Reads one manifest per database (more only when one is damaged).
/// A stale or missing database's result carries its error (BackupTooOld, BackupNotFound) in Problems.
/// </summary>
public static class BackupAgeService
{
    public static async Task<List<BackupAgeResult>> CheckAsync(BackupAgeQuery query, CancellationToken cancellationToken)
    {
        var listing = await BackupCatalog.ListAsync(new BackupQuery
        {
            Location = query.Location,
            S3 = query.S3,
            Databases = query.Databases,
            Newest = 1,
            Host = query.Host,
        }, cancellationToken).ConfigureAwait(false);
        var location = query.Location.ToString();
        var checks = new List<BackupAgeResult>();
        var drills = query.MaxDrillAge is null ? null
            : await DrillAgeCheck.LatestPassedAsync(query.Location, query.S3, query.Databases, query.Host, cancellationToken).ConfigureAwait(false);
        foreach (var latest in listing.Backups.OrderBy(b => b.Database, StringComparer.Ordinal))
        {
            var age = latest.Age;
            var drill = drills?.GetValueOrDefault(latest.Database);
            var drillProblem = query.MaxDrillAge is TimeSpan maxDrill ? DrillAgeCheck.Problem(latest.Database, drill, maxDrill, DateTime.UtcNow, location) : null;
            var result = new BackupAgeResult
            {
                Location = location,
                Database = latest.Database,
                Latest = latest.Location,
                LatestCreatedUtc = latest.CreatedUtc,
                Age = age,
                MaxAge = query.MaxAge,
                Healthy = age <= query.MaxAge && drillProblem is null,
                MaxDrillAge = query.MaxDrillAge,
                LatestDrillPassedUtc = drill?.StartedUtc,
                DrillAge = drill is null ? null : DateTime.UtcNow - drill.StartedUtc,
            };
            var problems = new List<ClutterException>();
            if (age > query.MaxAge) problems.Add(new ClutterException(Errors.BackupTooOld,
                $"The newest backup of '{latest.Database}' at '{location}' is {Format.Duration(age)} old, more than -MaxAge {Format.Duration(query.MaxAge)}: {latest.Location}. Check that database's backup job.",
                latest.Location));
            if (drillProblem is not null) problems.Add(drillProblem);
            result.Problems = problems;
            checks.Add(result);
        }
        // A database named but without a backup, or a location without any: MISSING.
        var missing = listing.MissingDatabases.Count > 0 ? listing.MissingDatabases.Cast<string?>()
            : listing.Backups.Count == 0 && query.Databases is not { Count: > 0 } ? new string?[] { null } : Array.Empty<string?>();
        foreach (var database in missing)
        {
            checks.Add(new BackupAgeResult
            {
                Location = location, Database = database, MaxAge = query.MaxAge, Healthy = false,
                Problems = [BackupCatalog.NotFound(location, database, listing.DatabaseFolders)],
            });
        }
        return checks;
    }
}
