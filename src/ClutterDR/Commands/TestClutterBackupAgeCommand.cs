using System.Management.Automation;
using ClutterDR.Commands.Completers;
using ClutterDR.Verify;

namespace ClutterDR.Commands;

[Cmdlet(VerbsDiagnostic.Test, "ClutterBackupAge")]
[OutputType(typeof(BackupAgeResult))]
public sealed class TestClutterBackupAgeCommand : ClutterS3Cmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(S3LocationCompleter))]
    public string Location { get; set; } = "";

    /// <summary>Oldest acceptable age of the newest backup (default 48 hours). "48:00:00" means 48 hours.</summary>
    [Parameter(Position = 1)]
    [TimeSpanTransformation]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(48);

    /// <summary>Only these databases (each must have a backup); default: every database found under the location.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    public string[]? Database { get; set; }

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
            OnVerbose = EmitVerbose,
        }, cancellationToken).ConfigureAwait(false), Location).ConfigureAwait(false);
        foreach (var result in checks ?? new List<BackupAgeResult>())
        {
            EmitObject(result);
            foreach (var problem in result.Problems) EmitError(problem);
        }
    }
}
