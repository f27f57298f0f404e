namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). OpenPGP encryption: keys, passphrases and encrypted data.</summary>
public static partial class Errors
{
    public static readonly ErrorDef KeyNotFound = new("KeyNotFound", FailureKind.ObjectNotFound, Terminating: true,
        "The key file of `-Recipient` or `-PrivateKey` does not exist, is a folder, or the value is neither a path nor armored key text. Give the path of an exported key (`gpg --export --armor KEYID > key.asc`) or the armored text.");

    public static readonly ErrorDef KeyNotReadable = new("KeyNotReadable", FailureKind.PermissionDenied, Terminating: true,
        "The key file exists but cannot be read. Fix its permissions.");

    public static readonly ErrorDef InvalidKey = new("InvalidKey", FailureKind.InvalidData, Terminating: true,
        "The key file holds no usable OpenPGP key, or a private key where a public one is needed (or the other way round). Export the right key with gpg (`--export` for `-Recipient`, `--export-secret-keys` for `-PrivateKey`).");

    public static readonly ErrorDef NoEncryptionKey = new("NoEncryptionKey", FailureKind.InvalidArgument, Terminating: true,
        "A `-Recipient` key has no valid encryption (sub)key: signing-only, revoked or expired. Export a key with an encryption subkey (`gpg --list-keys` shows `[E]`).");

    public static readonly ErrorDef PassphraseEmpty = new("PassphraseEmpty", FailureKind.InvalidArgument, Terminating: true,
        "The `-Passphrase` is empty. Give a passphrase (`Read-Host -AsSecureString`), or use `-Recipient`.");

    public static readonly ErrorDef EncryptionKeyRequired = new("EncryptionKeyRequired", FailureKind.InvalidArgument, Terminating: false,
        "`Protect-ClutterFile` was given neither `-Recipient` nor `-Passphrase`. Give one of them.");

    public static readonly ErrorDef DecryptionKeyRequired = new("DecryptionKeyRequired", FailureKind.InvalidArgument, Terminating: false,
        "The backup or file is encrypted and no `-PrivateKey` or `-Passphrase` was given (`Unprotect-ClutterFile`: neither was given). Add `-PrivateKey` (and `-PrivateKeyPassphrase` when the key has one), or `-Passphrase`, as the message says.");

    public static readonly ErrorDef DecryptionKeyMismatch = new("DecryptionKeyMismatch", FailureKind.InvalidArgument, Terminating: false,
        "The private key is not one of the recipients (the message lists their fingerprints), or a passphrase was given for data encrypted to public keys only. Use the private key of one of the recipients, or the way the data was encrypted.");

    public static readonly ErrorDef DecryptionFailed = new("DecryptionFailed", FailureKind.InvalidData, Terminating: false,
        "The passphrase of the backup or of the private key is wrong, or the encrypted data fails its integrity check (MDC). Check the passphrase (it is case-sensitive); for a failed integrity check, use an older backup.") { OtherKinds = [FailureKind.AuthenticationError] };

    public static readonly ErrorDef PrivateKeyPassphraseRequired = new("PrivateKeyPassphraseRequired", FailureKind.InvalidArgument, Terminating: false,
        "The private key is protected by a passphrase and none was given. Add `-PrivateKeyPassphrase` (`Read-Host -AsSecureString`).");

    public static readonly ErrorDef PrivateKeyUnavailable = new("PrivateKeyUnavailable", FailureKind.InvalidArgument, Terminating: false,
        "The private key is only a stub: its secret part is on a smartcard or was not exported. Export the secret subkey (`gpg --export-secret-subkeys`).");

    public static readonly ErrorDef NotEncrypted = new("NotEncrypted", FailureKind.InvalidData, Terminating: false,
        "The data to decrypt is not an OpenPGP message. Check that it is the encrypted file; a backup without `.gpg` needs no key.");
}
