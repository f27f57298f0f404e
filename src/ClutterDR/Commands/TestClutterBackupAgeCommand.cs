using System.Management.Automation;
using ClutterDR.Verify;

namespace ClutterDR.Commands;

[Cmdlet(VerbsDiagnostic.Test, "ClutterBackupAge")]
[OutputType(typeof(BackupAgeResult))]
public sealed class TestClutterBackupAgeCommand : BackupLocationCmdlet
{
    /// <summary>Oldest acceptable age of the newest backup (default 48 hours). "48:00:00" means 48 hours.</summary>
    [Parameter(Position = 1)]
    [TimeSpanTransformation]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(48);

    /// <summary>Also alarm when no restore drill (Test-ClutterRestore) of a database has passed within this span.</summary>
    [Parameter]
    [TimeSpanTransformation(ParameterName = "MaxDrillAge", Meaning = "-MaxDrillAge is how long ago a restore drill must have passed")]
    public TimeSpan? MaxDrillAge { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (MaxAge <= TimeSpan.Zero)
            throw new ClutterException(Errors.InvalidMaxAge, "-MaxAge must be positive, e.g. 48:00:00 or (New-TimeSpan -Hours 26).", MaxAge);
        if (MaxDrillAge is TimeSpan d && d <= TimeSpan.Zero)
            throw new ClutterException(Errors.InvalidMaxAge, "-MaxDrillAge must be positive, e.g. 35.00:00:00 or '35d'.", MaxDrillAge);
        var checks = await PerItemAsync(async () => await BackupAgeService.CheckAsync(new BackupAgeQuery
        {
            Location = ResolveLocation(Location),
            S3 = BuildS3Options(),
            Databases = Database,
            MaxAge = MaxAge,
            MaxDrillAge = MaxDrillAge,
            Host = Sink,
        }, cancellationToken).ConfigureAwait(false), Location).ConfigureAwait(false);
        foreach (var result in checks ?? new List<BackupAgeResult>())
        {
            await EmitObjectAsync(result).ConfigureAwait(false);
            foreach (var problem in result.Problems) await EmitErrorAsync(problem).ConfigureAwait(false);
        }
    }
}
