using System.Security;

namespace ClutterDR.Crypto;

/// <summary>How to encrypt: to public keys (any one private key decrypts), with a passphrase, or both.</summary>
public sealed class EncryptionOptions
{
    public IReadOnlyList<KeySource> Recipients { get; init; } = Array.Empty<KeySource>();
    public SecureString? Passphrase { get; init; }
    public bool Enabled => Recipients.Count > 0 || Passphrase is not null;
}

/// <summary>How to decrypt: a private key file (with its passphrase when it has one), or the passphrase.</summary>
public sealed class DecryptionOptions
{
    public KeySource? PrivateKey { get; init; }
    public SecureString? PrivateKeyPassphrase { get; init; }
    /// <summary>An empty passphrase is refused here, the one place every decrypting command passes, as on backup.</summary>
    public SecureString? Passphrase
    {
        get => _passphrase;
        init => _passphrase = value is { Length: 0 }
            ? throw new ClutterException(Errors.PassphraseEmpty,
                "The passphrase is empty. Give the passphrase the data was encrypted with (Read-Host -AsSecureString), or use -PrivateKey.", "Passphrase")
            : value;
    }
    private readonly SecureString? _passphrase;
    public bool Given => PrivateKey is not null || Passphrase is not null;

    /// <summary>Private keys unlocked for this request (by key id): a restore reads the header twice, the S2K runs once.</summary>
    internal Dictionary<long, Org.BouncyCastle.Bcpg.OpenPgp.PgpPrivateKey> Unlocked { get; } = new();
}
