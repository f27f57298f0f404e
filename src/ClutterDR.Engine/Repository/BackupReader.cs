using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Repository;

/// <summary>
/// A stored backup read back as one stream: stored bytes (hashed and counted) -> [OpenPGP decrypt] ->
/// decompress. Restore and Test-ClutterBackup read through it, so both judge a backup the same way.
/// </summary>
public sealed class BackupReader : IAsyncDisposable
{
    private readonly Stream _source;
    private readonly string _backupText;
    private readonly BackupManifest _manifest;

    private BackupReader(Stream source, HashingStream stored, Stream plain, BackupManifest manifest, string backupText)
    {
        _source = source; Stored = stored; Plain = plain; _manifest = manifest; _backupText = backupText;
    }

    public string BackupText => _backupText;

    /// <summary>The stored bytes as read so far (count and SHA-256).</summary>
    public HashingStream Stored { get; }

    /// <summary>The dump itself: decrypted and decompressed.</summary>
    public Stream Plain { get; }

    /// <summary>
    /// Opens the backup's data object. For an encrypted backup the key is checked against the manifest's
    /// recipients and the message header before this returns, so a wrong key or passphrase fails here.
    /// </summary>
    public static async Task<BackupReader> OpenAsync(BackupRepository repository, string objectName, BackupManifest manifest,
        DecryptionOptions decryption, string backupText, CancellationToken cancellationToken)
    {
        if (manifest.Encryption.Mode == EncryptionKind.OpenPgp) CheckKeyAgainstManifest(manifest, decryption, backupText);
        var source = await repository.OpenReadAsync(objectName, cancellationToken).ConfigureAwait(false);
        var stored = new HashingStream(source);
        try
        {
            return new BackupReader(source, stored, StoredFormat.Of(manifest).OpenRead(stored, decryption, backupText), manifest, backupText);
        }
        catch (Exception e) when (StoredFormat.IsDataError(e))
        {
            // A damaged header: say what is wrong with the stored bytes when something is.
            var fault = await new BackupReader(source, stored, Stream.Null, manifest, backupText).ExplainAsync(e, cancellationToken).ConfigureAwait(false);
            await source.DisposeAsync().ConfigureAwait(false);
            throw fault;
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The stored bytes only, hashed and counted (an encrypted backup checked without its key).</summary>
    public static async Task<BackupReader> OpenStoredAsync(BackupRepository repository, string objectName, BackupManifest manifest, string backupText, CancellationToken cancellationToken)
    {
        var source = await repository.OpenReadAsync(objectName, cancellationToken).ConfigureAwait(false);
        return new BackupReader(source, new HashingStream(source), Stream.Null, manifest, backupText);
    }

    /// <summary>The manifest names the recipients: a private key that is none of them fails with their fingerprints.</summary>
    private static void CheckKeyAgainstManifest(BackupManifest manifest, DecryptionOptions decryption, string backupText)
    {
        var method = manifest.Encryption.Method ?? "";
        var recipients = manifest.Encryption.RecipientFingerprints ?? new List<string>();
        if (!decryption.Given)
            throw new ClutterException(Errors.DecryptionKeyRequired,
                $"The backup '{backupText}' is encrypted ({method}{(recipients.Count > 0 ? " to " + string.Join(", ", recipients) : "")}). Add " +
                (method.Contains("PublicKey", StringComparison.Ordinal) ? "-PrivateKey (and -PrivateKeyPassphrase when the key has one)" : "-Passphrase") + ".",
                backupText);
        if (decryption.PrivateKey is not null && decryption.Passphrase is null && recipients.Count > 0)
        {
            var keys = SecretKeys.Load(decryption.PrivateKey);
            if (!keys.PrimaryFingerprints.Any(f => recipients.Contains(f, StringComparer.OrdinalIgnoreCase)))
                throw new ClutterException(Errors.DecryptionKeyMismatch,
                    $"The private key in {keys.Display} ({string.Join(", ", keys.PrimaryFingerprints)}) is not a recipient of the backup '{backupText}', which was encrypted to {string.Join(", ", recipients)}. Use one of those keys.",
                    backupText);
        }
        if (decryption.PrivateKey is null && decryption.Passphrase is not null && !method.Contains("Passphrase", StringComparison.Ordinal))
            throw new ClutterException(Errors.DecryptionKeyMismatch,
                $"The backup '{backupText}' was encrypted to public keys ({string.Join(", ", recipients)}), not with a passphrase. Use -PrivateKey with one of those keys.",
                backupText);
    }

    /// <summary>The error for a data error: its own, or BackupCorrupt for a decompression failure.</summary>
    public ClutterException DataError(Exception e) => StoredDamage.DataError(e, _backupText);

    /// <summary>
    /// Reads what is left of the stored object, so the hash covers every byte, and compares size and
    /// SHA-256 with the manifest: BackupTruncated or ChecksumMismatch when they differ, else null.
    /// </summary>
    public async Task<ClutterException?> FinishAsync(Action<long>? progress, CancellationToken cancellationToken)
    {
        var rest = new byte[256 * 1024];
        while (await Stored.ReadAsync(rest, cancellationToken).ConfigureAwait(false) > 0) progress?.Invoke(Stored.BytesCount);
        return StoredDamage.Mismatch(Stored.BytesCount, Stored.FinishHash(), _manifest, _backupText);
    }

    /// <summary>After a data error: the stored bytes' fault (truncated, checksum) when there is one, else the data error.</summary>
    public async Task<ClutterException> ExplainAsync(Exception dataError, CancellationToken cancellationToken)
    {
        ClutterException? stored = null;
        try { stored = await FinishAsync(null, cancellationToken).ConfigureAwait(false); }
        catch (IOException) { /* the read failed too: report the data error */ }
        return stored ?? DataError(dataError);
    }

    public async ValueTask DisposeAsync()
    {
        await Plain.DisposeAsync().ConfigureAwait(false);
        await _source.DisposeAsync().ConfigureAwait(false);
    }
}
