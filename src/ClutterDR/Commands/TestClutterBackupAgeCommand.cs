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

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (MaxAge <= TimeSpan.Zero)
            throw new ClutterException(Errors.InvalidMaxAge, "-MaxAge must be positive, e.g. 48:00:00 or (New-TimeSpan -Hours 26).", MaxAge);
        var checks = await PerItemAsync(async () => await BackupAgeService.CheckAsync(new BackupAgeQuery
        {
            Location = ResolveLocation(Location),
            S3 = BuildS3Options(),
            Databases = Database,
            MaxAge = MaxAge,
            Host = Sink,
        }, cancellationToken).ConfigureAwait(false), Location).ConfigureAwait(false);
        foreach (var result in checks ?? new List<BackupAgeResult>())
        {
            await EmitObjectAsync(result).ConfigureAwait(false);
            foreach (var problem in result.Problems) await EmitErrorAsync(problem).ConfigureAwait(false);
        }
    }
}
