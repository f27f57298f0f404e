using System.Management.Automation;
using ClutterDR.Protect;

namespace ClutterDR.Commands;

/// <summary>Decrypts OpenPGP files (gpg --encrypt, --symmetric, armored or binary, or Protect-ClutterFile output).</summary>
[Cmdlet(VerbsSecurity.Unprotect, "ClutterFile", SupportsShouldProcess = true, DefaultParameterSetName = "Path")]
[OutputType(typeof(FileInfo))]
public sealed class UnprotectClutterFileCommand : FileCmdlet, IDynamicParameters
{
    private readonly DecryptionParameters _decryption = new();

    /// <summary>-PrivateKey, -PrivateKeyPassphrase and -Passphrase (DecryptionParameters).</summary>
    public object GetDynamicParameters() => _decryption;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(_decryption.PrivateKey) && _decryption.Passphrase is null)
            throw new ClutterException(Errors.DecryptionKeyRequired,
                "Say how to decrypt: -PrivateKey <secret key file> (gpg --export-secret-keys --armor KEYID > key.asc) or -Passphrase (Read-Host -AsSecureString).", null);
        return Task.CompletedTask;
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var decryption = KeyArguments.Decryption(this, _decryption);
        foreach (var input in ResolveInputs())
        {
            var file = await PerItemAsync(async () =>
            {
                var plainName = FileEncryption.UnprotectedName(input);
                var output = OutputPath(input, plainName, System.IO.Path.GetFileName(plainName ?? input + ".out"));
                if (!await ConfirmAsync(output, $"Decrypt '{input}'").ConfigureAwait(false)) return null;
                return await new FileEncryption(Sink).UnprotectAsync(input, output, decryption, Force, cancellationToken).ConfigureAwait(false);
            }, input).ConfigureAwait(false);
            if (file is not null) await EmitFileAsync(file).ConfigureAwait(false);
        }
    }
}
