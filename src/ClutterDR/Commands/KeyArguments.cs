using System.Management.Automation;
using ClutterDR.Crypto;

namespace ClutterDR.Commands;

/// <summary>The one way a -Recipient or -PrivateKey value becomes a key source: armored text, or a path.</summary>
internal static class KeyArguments
{
    public static KeySource Resolve(PSCmdlet cmdlet, string value)
    {
        if (KeySource.IsArmoredText(value)) return KeySource.FromText(value);
        var path = ProviderPaths.Resolve(cmdlet, value, e => new ClutterException(Errors.KeyNotFound,
            $"'{value}' is neither a key file path nor armored key text (-----BEGIN PGP ...): {e.Message}", value, e));
        return KeySource.FromFile(path);
    }

    public static EncryptionOptions Encryption(PSCmdlet cmdlet, EncryptionParameters p) => new()
    {
        Recipients = (p.Recipient ?? Array.Empty<string>()).Select(r => Resolve(cmdlet, r)).ToArray(),
        Passphrase = p.Passphrase,
    };

    public static DecryptionOptions Decryption(PSCmdlet cmdlet, DecryptionParameters p) => new()
    {
        PrivateKey = string.IsNullOrEmpty(p.PrivateKey) ? null : Resolve(cmdlet, p.PrivateKey),
        PrivateKeyPassphrase = p.PrivateKeyPassphrase,
        Passphrase = p.Passphrase,
    };
}
