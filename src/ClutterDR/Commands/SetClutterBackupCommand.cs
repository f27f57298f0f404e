using System.Management.Automation;
using ClutterDR.Retention;

namespace ClutterDR.Commands;

/// <summary>
/// Pins or unpins a stored backup (-Pinned $true/$false): a pinned backup has a small '.pinned' sidecar beside its
/// data object, and Remove-ClutterBackup never removes it. Takes BackupInfo from the pipeline.
/// </summary>
[Cmdlet(VerbsCommon.Set, "ClutterBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(BackupInfo))]
public sealed class SetClutterBackupCommand : ClutterS3Cmdlet
{
    /// <summary>Location of one backup (BackupInfo.Location from Get-ClutterBackup), or its manifest.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Uri", "Path")]
    [ValidateNotNullOrEmpty]
    public string Location { get; set; } = "";

    /// <summary>$true pins the backup (retention keeps it), $false unpins it.</summary>
    [Parameter(Mandatory = true)]
    public bool Pinned { get; set; }

    /// <summary>Write the backup as it is afterwards.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var info = await PerItemAsync(async () =>
            await BackupPins.SetAsync(ResolveLocation(Location), BuildS3Options(), Pinned, Sink, cancellationToken).ConfigureAwait(false), Location).ConfigureAwait(false);
        if (info is not null && PassThru) await EmitObjectAsync(info).ConfigureAwait(false);
    }
}
