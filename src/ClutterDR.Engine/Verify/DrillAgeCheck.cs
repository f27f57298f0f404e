using ClutterDR.Catalog;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Verify;

/// <summary>
/// Test-ClutterBackupAge -MaxDrillAge: has a restore drill of each database passed within the span? Reads the
/// drill records (<see cref="DrillRecords"/>) once per location; a database without a passed drill is NoDrillFound,
/// one whose newest passed drill is older than the span DrillTooOld.
/// </summary>
public static class DrillAgeCheck
{
    /// <summary>The newest passed drill of each database (by its name) under the location.</summary>
    public static async Task<Dictionary<string, DrillResult>> LatestPassedAsync(BackupLocation location, S3Options s3, IReadOnlyList<string>? databases, IEngineHost host, CancellationToken cancellationToken)
    {
        using var repository = BackupRepository.Open(location, s3);
        var drills = await DrillRecords.ListAsync(repository, databases, host, cancellationToken).ConfigureAwait(false);
        return drills.Where(d => d.Passed).GroupBy(d => d.Database, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal); // newest first
    }

    /// <summary>The problem of one database's drills, or null when one passed within <paramref name="maxDrillAge"/>.</summary>
    public static ClutterException? Problem(string database, DrillResult? latestPassed, TimeSpan maxDrillAge, DateTime nowUtc, string location)
    {
        if (latestPassed is null)
            return new ClutterException(Errors.NoDrillFound,
                $"No restore drill of '{database}' has passed at '{location}' (none is recorded, or every one failed). Run Test-ClutterRestore against that location; Get-ClutterDrill lists the drills there are.",
                database);
        var age = nowUtc - latestPassed.StartedUtc;
        return age <= maxDrillAge ? null : new ClutterException(Errors.DrillTooOld,
            $"The newest passed restore drill of '{database}' at '{location}' is {Format.Duration(age)} old, more than -MaxDrillAge {Format.Duration(maxDrillAge)} ({latestPassed.ScratchDatabase}). Run Test-ClutterRestore, and fix what made later drills fail (Get-ClutterDrill).",
            database);
    }
}
