using System.Security;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace ClutterDR.Crypto;

/// <summary>One recipient of an encrypted backup: the key that encrypts, and its primary key's fingerprint.</summary>
public sealed record RecipientKey(PgpPublicKey EncryptionKey, string Fingerprint, string UserId, string Source);

/// <summary>Reading OpenPGP keys as gpg exports them (armored or binary), with errors that say what to do.</summary>
public static class OpenPgpKeys
{
    /// <summary>Upper-case hex, as gpg --list-keys prints it.</summary>
    public static string Fingerprint(PgpPublicKey key) => Convert.ToHexString(key.GetFingerprint());

    /// <summary>The encryption key of every key ring in every source (the newest valid encryption subkey, as gpg picks).</summary>
    public static IReadOnlyList<RecipientKey> LoadRecipients(IEnumerable<KeySource> sources)
    {
        var result = new List<RecipientKey>();
        foreach (var source in sources)
        {
            PgpPublicKeyRingBundle bundle;
            using (var stream = source.Open())
            {
                try
                {
                    bundle = new PgpPublicKeyRingBundle(PgpUtilities.GetDecoderStream(stream));
                }
                catch (Exception e) when (e is PgpException or IOException or ArgumentException or InvalidCastException)
                {
                    throw InvalidKey(source, LooksLikeSecret(source)
                        ? "it is a private key; -Recipient needs the public key (gpg --export --armor KEYID)"
                        : "it is not an OpenPGP public key", e);
                }
            }
            if (bundle.Count == 0) throw InvalidKey(source, "it holds no OpenPGP public key", null);
            foreach (var ring in bundle.GetKeyRings())
            {
                var primary = ring.GetPublicKey();
                var userId = primary.GetUserIds().FirstOrDefault() ?? "";
                var encryptionKey = ring.GetPublicKeys()
                    .Where(k => MayEncrypt(k, primary) && !k.HasRevocation() && !IsExpired(k))
                    .OrderBy(k => k.IsMasterKey)               // a subkey when there is one, as gpg picks
                    .ThenByDescending(k => k.CreationTime)
                    .FirstOrDefault()
                    ?? throw new ClutterException(Errors.NoEncryptionKey,
                        $"The key {Fingerprint(primary)} ({userId}) in {source.Display} has no valid encryption (sub)key: it is signing-only, revoked or expired. Export a key with an encryption subkey (gpg --list-keys shows [E]).",
                        source.Display);
                result.Add(new RecipientKey(encryptionKey, Fingerprint(primary), userId, source.Display));
            }
        }
        return result;
    }

    /// <summary>
    /// An algorithm that can encrypt is not enough: an RSA key made "sign" by gpg is RSA-general, and only the
    /// key flags of its newest self-signature say it must not encrypt (RFC 4880 5.2.3.21). A key without key flags
    /// (old keys) is judged by its algorithm, as gpg does.
    /// </summary>
    private static bool MayEncrypt(PgpPublicKey key, PgpPublicKey primary)
    {
        if (!key.IsEncryptionKey) return false;
        PgpSignature? newest = null;
        foreach (var sig in key.GetSignatures())
        {
            if (sig.KeyId != primary.KeyId || !sig.HasSubpackets) continue;
            var hashed = sig.GetHashedSubPackets();
            if (hashed is null || !hashed.HasSubpacket(SignatureSubpacketTag.KeyFlags)) continue;
            if (newest is null || sig.CreationTime > newest.CreationTime) newest = sig;
        }
        return newest is null
            || (newest.GetHashedSubPackets().GetKeyFlags() & (PgpKeyFlags.CanEncryptCommunications | PgpKeyFlags.CanEncryptStorage)) != 0;
    }

    private static bool IsExpired(PgpPublicKey key)
    {
        var seconds = key.GetValidSeconds();
        return seconds > 0 && key.CreationTime.AddSeconds(seconds) < DateTime.UtcNow;
    }

    private static bool LooksLikeSecret(KeySource source)
    {
        try
        {
            using var stream = source.Open();
            return new PgpSecretKeyRingBundle(PgpUtilities.GetDecoderStream(stream)).Count > 0;
        }
        catch (Exception e) when (e is PgpException or IOException or ArgumentException or InvalidCastException)
        {
            return false;
        }
    }

    internal static ClutterException InvalidKey(KeySource source, string why, Exception? inner) =>
        new(Errors.InvalidKey,
            $"The key in {source.Display} cannot be used: {why}.", source.Display, inner);
}

/// <summary>Private keys for decryption, as gpg --export-secret-keys writes them.</summary>
public sealed class SecretKeys
{
    private readonly PgpSecretKeyRingBundle _bundle;
    private readonly KeySource _source;

    private SecretKeys(PgpSecretKeyRingBundle bundle, KeySource source)
    {
        _bundle = bundle; _source = source;
    }

    public static SecretKeys Load(KeySource source)
    {
        PgpSecretKeyRingBundle bundle;
        using (var stream = source.Open())
        {
            try
            {
                bundle = new PgpSecretKeyRingBundle(PgpUtilities.GetDecoderStream(stream));
            }
            catch (Exception e) when (e is PgpException or IOException or ArgumentException or InvalidCastException)
            {
                throw OpenPgpKeys.InvalidKey(source,
                    "it is not an OpenPGP private key; -PrivateKey needs the secret key (gpg --export-secret-keys --armor KEYID)", e);
            }
        }
        if (bundle.Count == 0) throw OpenPgpKeys.InvalidKey(source, "it holds no OpenPGP private key", null);
        return new SecretKeys(bundle, source);
    }

    public string Display => _source.Display;

    /// <summary>Fingerprints of the primary keys, to compare with a manifest's recipients.</summary>
    public IReadOnlyList<string> PrimaryFingerprints =>
        _bundle.GetKeyRings().Select(r => OpenPgpKeys.Fingerprint(r.GetPublicKey())).ToList();

    public PgpSecretKey? Find(long keyId) => _bundle.GetSecretKey(keyId);

    /// <summary>Every secret key that can decrypt, for messages whose recipient is hidden.</summary>
    public IReadOnlyList<PgpSecretKey> AllEncryptionKeys() =>
        _bundle.GetKeyRings().SelectMany(r => r.GetSecretKeys()).Where(k => k.PublicKey.IsEncryptionKey && !k.IsPrivateKeyEmpty).ToList();

    /// <summary>Unlocks a private key; its passphrase (gpg's, UTF-8) is unprotected only during the call.</summary>
    public PgpPrivateKey Extract(PgpSecretKey key, SecureString? passphrase)
    {
        var id = key.KeyId.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
        if (key.IsPrivateKeyEmpty)
            throw new ClutterException(Errors.PrivateKeyUnavailable,
                $"The private key {id} in {_source.Display} is only a stub (its secret part is on a smartcard or was not exported). Export the secret subkey with gpg --export-secret-subkeys.", _source.Display);
        try
        {
            if (key.S2kUsage == 0) return key.ExtractPrivateKey(null);
            if (passphrase is null)
                throw new ClutterException(Errors.PrivateKeyPassphraseRequired,
                    $"The private key {id} in {_source.Display} is protected by a passphrase: add -PrivateKeyPassphrase (Read-Host -AsSecureString).", _source.Display);
            using var chars = new SecureChars(passphrase);
            return key.ExtractPrivateKeyUtf8(chars.Value);
        }
        catch (PgpException e)
        {
            throw new ClutterException(Errors.DecryptionFailed.As(FailureKind.AuthenticationError),
                $"The private key {id} in {_source.Display} cannot be unlocked: the passphrase is wrong or the key is damaged.", _source.Display, e);
        }
    }
}
