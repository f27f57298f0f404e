using System.Management.Automation;
using ClutterDR.Crypto;

namespace ClutterDR.Commands;

/// <summary>Decrypts OpenPGP files (gpg --encrypt, --symmetric, armored or binary, or Protect-ClutterFile output).</summary>
[Cmdlet(VerbsSecurity.Unprotect, "ClutterFile", SupportsShouldProcess = true, DefaultParameterSetName = "Path")]
[OutputType(typeof(FileInfo))]
public sealed class UnprotectClutterFileCommand : FileCmdlet
{
    /// <summary>OpenPGP private key of a recipient: a key file path (gpg --export-secret-keys) or armored key text.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PrivateKey { get; set; }

    /// <summary>Passphrase that unlocks -PrivateKey, when it has one.</summary>
    [Parameter]
    public System.Security.SecureString? PrivateKeyPassphrase { get; set; }

    /// <summary>Passphrase of a file encrypted with a passphrase (gpg --symmetric).</summary>
    [Parameter]
    public System.Security.SecureString? Passphrase { get; set; }

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(PrivateKey) && Passphrase is null)
            throw new ClutterException(Errors.DecryptionKeyRequired,
                "Say how to decrypt: -PrivateKey <secret key file> (gpg --export-secret-keys --armor KEYID > key.asc) or -Passphrase (Read-Host -AsSecureString).", null);
        return Task.CompletedTask;
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var decryption = KeyArguments.Decryption(this, PrivateKey, PrivateKeyPassphrase, Passphrase);
        foreach (var input in ResolveInputs())
        {
            var file = await PerItemAsync(async () =>
            {
                var plainName = FileEncryption.UnprotectedName(input);
                var output = OutputPath(input, plainName, System.IO.Path.GetFileName(plainName ?? input + ".out"));
                if (!Confirm(output, $"Decrypt '{input}'")) return null;
                return await new FileEncryption(Sink).UnprotectAsync(input, output, decryption, Force, cancellationToken).ConfigureAwait(false);
            }, input).ConfigureAwait(false);
            if (file is not null) EmitFile(file);
        }
    }
}
