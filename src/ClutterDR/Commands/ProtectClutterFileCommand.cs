using System.Management.Automation;
using ClutterDR.Crypto;
using ClutterDR.Protect;

namespace ClutterDR.Commands;

/// <summary>Encrypts files for OpenPGP recipients or with a passphrase, as gpg --encrypt / --symmetric would; gpg decrypts them.</summary>
[Cmdlet(VerbsSecurity.Protect, "ClutterFile", SupportsShouldProcess = true, DefaultParameterSetName = "Path")]
[OutputType(typeof(FileInfo))]
public sealed class ProtectClutterFileCommand : FileCmdlet, IDynamicParameters
{
    private readonly EncryptionParameters _encryption = new();

    /// <summary>-Recipient and -Passphrase (EncryptionParameters).</summary>
    public object GetDynamicParameters() => _encryption;

    /// <summary>Write ASCII armor (-----BEGIN PGP MESSAGE-----, like gpg --armor), default extension .asc.</summary>
    [Parameter]
    public SwitchParameter Armor { get; set; }

    private EncryptionPlan? _plan;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        var options = KeyArguments.Encryption(this, _encryption);
        if (!options.Enabled)
            throw new ClutterException(Errors.EncryptionKeyRequired,
                "Say how to encrypt: -Recipient <public key file> (gpg --export --armor KEYID > key.asc) or -Passphrase (Read-Host -AsSecureString).", null);
        _plan = EncryptionPlan.Prepare(options); // a bad key stops before any file is touched
        return Task.CompletedTask;
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var input in ResolveInputs())
        {
            var file = await PerItemAsync(async () =>
            {
                var output = OutputPath(input, FileEncryption.ProtectedName(input, Armor), System.IO.Path.GetFileName(FileEncryption.ProtectedName(input, Armor)));
                if (!await ConfirmAsync(output, $"Encrypt '{input}' ({_plan!.Method})").ConfigureAwait(false)) return null;
                return await new FileEncryption(Sink).ProtectAsync(input, output, _plan, Armor, Force, cancellationToken).ConfigureAwait(false);
            }, input).ConfigureAwait(false);
            if (file is not null) await EmitFileAsync(file).ConfigureAwait(false);
        }
    }
}
