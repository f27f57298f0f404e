using System.Management.Automation;
using ClutterDR.Repository;

namespace ClutterDR.Commands;

/// <summary>
/// Removes what interrupted backups left at a location: S3 multipart uploads never completed, and
/// folders' '.partial' files, of our backup names only and older than -OlderThan (default 24 hours).
/// </summary>
[Cmdlet(VerbsCommon.Clear, "ClutterBackupDebris", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(DebrisItem))]
public sealed class ClearClutterBackupDebrisCommand : BackupLocationCmdlet
{
    /// <summary>Only debris older than this (default 24 hours): a younger upload may be a backup running now.</summary>
    [Parameter]
    [TimeSpanTransformation(ParameterName = "OlderThan", Meaning = "-OlderThan is how old debris must be to be removed")]
    public TimeSpan OlderThan { get; set; } = TimeSpan.FromHours(24);

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        await PerItemAsync(async () =>
        {
            await DebrisService.RunAsync(new DebrisRequest
            {
                Location = ResolveLocation(Location),
                S3 = BuildS3Options(),
                Databases = Database,
                OlderThan = OlderThan,
            }, Sink, cancellationToken).ConfigureAwait(false);
            return this;
        }, Location).ConfigureAwait(false);
    }
}
