using System.Management.Automation;
using System.Security;

namespace ClutterDR.Commands;

/// <summary>
/// The decryption parameters, declared once for every cmdlet that reads encrypted data (Restore-ClutterDatabase,
/// Test-ClutterBackup, Unprotect-ClutterFile): a parameter object the cmdlet hands PowerShell through
/// IDynamicParameters, so that cmdlets of different bases (S3, file) share one declaration. Each cmdlet's help
/// page says what the values decrypt there.
/// </summary>
public sealed class DecryptionParameters
{
    /// <summary>OpenPGP private key of a recipient: a key file path (gpg --export-secret-keys) or armored key text.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PrivateKey { get; set; }

    /// <summary>Passphrase that unlocks -PrivateKey, when it has one.</summary>
    [Parameter]
    public SecureString? PrivateKeyPassphrase { get; set; }

    /// <summary>Passphrase of data encrypted with a passphrase (-Passphrase, gpg --symmetric).</summary>
    [Parameter]
    public SecureString? Passphrase { get; set; }
}

/// <summary>
/// The encryption parameters, declared once for Backup-ClutterDatabase and Protect-ClutterFile: a parameter
/// object handed to PowerShell through IDynamicParameters, as DecryptionParameters.
/// </summary>
public sealed class EncryptionParameters
{
    /// <summary>OpenPGP public keys to encrypt to: key file paths (armored or binary) or armored key text. Any one private key decrypts.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Recipient { get; set; }

    /// <summary>Encrypt with this passphrase (OpenPGP symmetric, AES-256); gpg --decrypt asks for it.</summary>
    [Parameter]
    public SecureString? Passphrase { get; set; }
}
