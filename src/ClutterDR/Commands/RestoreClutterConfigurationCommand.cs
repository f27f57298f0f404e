using System.Management.Automation;
using ClutterDR.Commands.Completers;
using ClutterDR.Config;

namespace ClutterDR.Commands;

/// <summary>
/// Restore-ClutterConfiguration: writes the files of a configuration backup (Backup-ClutterConfiguration) into a folder;
/// never sets an environment variable. Writes the FileInfo of each file.
/// </summary>
[Cmdlet(VerbsData.Restore, "ClutterConfiguration", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo))]
public sealed class RestoreClutterConfigurationCommand : ClutterS3Cmdlet, IDynamicParameters
{
    /// <summary>Location of one configuration backup (BackupInfo.Location from Get-ClutterBackup -Kind Config), or its manifest.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(S3BackupCompleter))]
    public string Location { get; set; } = "";

    /// <summary>The folder to write the files into (created when missing).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>Overwrite files that exist in -Destination.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes one row of the audit trail to this PostgreSQL database (Initialize-ClutterAuditLog), running then success or failed.</summary>
    [Parameter, Audited("config_restore", Location = nameof(Destination))] public string? AuditConnectionString { get; set; }

    private readonly DecryptionParameters _decryption = new();

    /// <summary>-PrivateKey, -PrivateKeyPassphrase and -Passphrase (DecryptionParameters).</summary>
    public object GetDynamicParameters() => _decryption;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var files = await PerItemAsync(async () =>
        {
            var destination = await OnPipelineThreadAsync(() => SessionState.Path.GetUnresolvedProviderPathFromPSPath(Destination)).ConfigureAwait(false);
            if (!await ConfirmAsync(destination, $"Write the files of the configuration backup {Location}").ConfigureAwait(false)) return null;
            var request = new ConfigRestoreRequest
            {
                Backup = ResolveLocation(Location),
                S3 = BuildS3Options(),
                Destination = destination,
                Decryption = KeyArguments.Decryption(this, _decryption),
                Force = Force,
            };
            return await new ConfigRestoreService(Sink).RunAsync(request, cancellationToken).ConfigureAwait(false);
        }, Location).ConfigureAwait(false);
        foreach (var f in files ?? new List<string>()) await EmitObjectAsync(new FileInfo(f)).ConfigureAwait(false);
    }
}
