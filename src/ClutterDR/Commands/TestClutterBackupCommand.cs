using System.Management.Automation;
using ClutterDR.Verify;

namespace ClutterDR.Commands;

/// <summary>
/// Reads a stored backup to its end and checks it: size and SHA-256 against its manifest, decryption
/// and decompression to the end (with the key for an encrypted one), and with -Deep the archive's table
/// of contents. Takes BackupInfo from the pipeline (Backup-ClutterDatabase | Test-ClutterBackup).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "ClutterBackup")]
[OutputType(typeof(BackupVerification))]
public sealed class TestClutterBackupCommand : ClutterS3Cmdlet, IDynamicParameters
{
    /// <summary>Location of one backup (BackupInfo.Location from Get-ClutterBackup), or its manifest.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Uri", "Path")]
    [ValidateNotNullOrEmpty]
    public string Location { get; set; } = "";

    private readonly DecryptionParameters _decryption = new();

    /// <summary>-PrivateKey, -PrivateKeyPassphrase and -Passphrase (DecryptionParameters).</summary>
    public object GetDynamicParameters() => _decryption;

    /// <summary>Also check that every table of the manifest is in the archive (pg_restore --list).</summary>
    [Parameter]
    public SwitchParameter Deep { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var outcome = await PerItemAsync(async () =>
        {
            var request = new VerificationRequest
            {
                Backup = ResolveLocation(Location),
                S3 = BuildS3Options(),
                Decryption = KeyArguments.Decryption(this, _decryption),
                Deep = Deep,
            };
            return await new VerificationService(Sink).RunAsync(request, cancellationToken).ConfigureAwait(false);
        }, Location).ConfigureAwait(false);
        if (outcome is null) return;
        await EmitObjectAsync(outcome).ConfigureAwait(false);
        foreach (var problem in outcome.Problems) await EmitErrorAsync(problem).ConfigureAwait(false);
    }
}
