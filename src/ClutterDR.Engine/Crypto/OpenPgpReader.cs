using System.Globalization;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace ClutterDR.Crypto;

/// <summary>
/// Opens an OpenPGP message (what gpg --encrypt or ClutterDR wrote) for reading its plain bytes. The
/// header is read and the key checked at once, so a wrong key or passphrase fails before anything else
/// happens; the integrity check (MDC) runs when the data has been read to its end.
/// </summary>
public static class OpenPgpReader
{
    /// <param name="input">The encrypted bytes (binary; use <see cref="PgpUtilities.GetDecoderStream"/> first for armor).</param>
    /// <param name="target">What the data is, for messages (a backup location or a file path).</param>
    public static Stream Open(Stream input, DecryptionOptions options, string target)
    {
        PgpEncryptedDataList list;
        try
        {
            var factory = new PgpObjectFactory(input);
            var first = factory.NextPgpObject();
            while (first is PgpMarker) first = factory.NextPgpObject();
            list = first as PgpEncryptedDataList ?? throw new ClutterException(Errors.NotEncrypted,
                $"'{target}' is not OpenPGP-encrypted data{(first is null ? "" : $" (it starts with a {first.GetType().Name.Replace("Pgp", "", StringComparison.Ordinal)} packet)")}.", target);
        }
        catch (Exception e) when (e is IOException or PgpException)
        {
            throw new ClutterException(Errors.NotEncrypted,
                $"'{target}' is not readable OpenPGP-encrypted data: {e.Message}", target, e);
        }

        var publicKeyParts = list.GetEncryptedDataObjects().OfType<PgpPublicKeyEncryptedData>().ToList();
        var passphraseParts = list.GetEncryptedDataObjects().OfType<PgpPbeEncryptedData>().ToList();
        if (!options.Given)
            throw new ClutterException(Errors.DecryptionKeyRequired,
                $"'{target}' is encrypted{Describe(publicKeyParts, passphraseParts)}. Add {(publicKeyParts.Count > 0 ? "-PrivateKey (and -PrivateKeyPassphrase when the key has one)" : "")}{(publicKeyParts.Count > 0 && passphraseParts.Count > 0 ? " or " : "")}{(passphraseParts.Count > 0 ? "-Passphrase" : "")}.",
                target);

        PgpEncryptedData? used = null;
        Stream? clear = null;
        if (options.PrivateKey is not null && publicKeyParts.Count > 0)
        {
            var keys = SecretKeys.Load(options.PrivateKey);
            foreach (var part in publicKeyParts)
            {
                var candidates = part.KeyId == 0
                    ? keys.AllEncryptionKeys() // gpg --throw-keyids hides the recipient: try each key
                    : keys.Find(part.KeyId) is { } k ? new[] { k } : Array.Empty<PgpSecretKey>();
                foreach (var key in candidates)
                {
                    if (!options.Unlocked.TryGetValue(key.KeyId, out var privateKey))
                        options.Unlocked[key.KeyId] = privateKey = keys.Extract(key, options.PrivateKeyPassphrase);
                    try
                    {
                        clear = part.GetDataStream(privateKey);
                        used = part;
                        break;
                    }
                    catch (PgpException) when (part.KeyId == 0)
                    {
                    }
                    catch (PgpException e)
                    {
                        throw new ClutterException(Errors.DecryptionFailed,
                            $"'{target}' cannot be decrypted with the private key {key.KeyId:X16}: {e.Message}. The data may be damaged.", target, e);
                    }
                }
                if (clear is not null) break;
            }
            if (clear is null && options.Passphrase is null)
                throw new ClutterException(Errors.DecryptionKeyMismatch,
                    $"The private key in {keys.Display} (primary key {string.Join(", ", keys.PrimaryFingerprints)}) is not one '{target}' was encrypted to{Describe(publicKeyParts, passphraseParts)}. Use the private key of one of those recipients.",
                    target);
        }
        if (clear is null && options.Passphrase is not null)
        {
            if (passphraseParts.Count == 0)
                throw new ClutterException(Errors.DecryptionKeyMismatch,
                    $"'{target}' was not encrypted with a passphrase{Describe(publicKeyParts, passphraseParts)}. Use -PrivateKey with the private key of one of them.", target);
            using var chars = new SecureChars(options.Passphrase);
            foreach (var part in passphraseParts)
            {
                try
                {
                    clear = part.GetDataStreamUtf8(chars.Value);
                    used = part;
                    break;
                }
                catch (PgpException)
                {
                }
            }
            if (clear is null)
                throw new ClutterException(Errors.DecryptionFailed.As(FailureKind.AuthenticationError),
                    $"The passphrase does not decrypt '{target}'. Check it (it is case-sensitive) and try again.", target);
        }
        if (clear is null || used is null)
            throw new ClutterException(Errors.DecryptionKeyMismatch,
                $"'{target}' was encrypted{Describe(publicKeyParts, passphraseParts)}; the key given does not decrypt it.", target);

        return new DecryptingStream(OpenLiteral(clear, target), used, target);
    }

    private static Stream OpenLiteral(Stream clear, string target)
    {
        try
        {
            var factory = new PgpObjectFactory(clear);
            var message = factory.NextPgpObject();
            if (message is PgpCompressedData compressed) // gpg compresses by default
            {
                factory = new PgpObjectFactory(compressed.GetDataStream());
                message = factory.NextPgpObject();
            }
            while (message is PgpOnePassSignatureList or PgpSignatureList) message = factory.NextPgpObject();
            return message is PgpLiteralData literal
                ? literal.GetInputStream()
                : throw new ClutterException(Errors.DecryptionFailed,
                    $"'{target}' decrypts, but holds no data packet ({message?.GetType().Name ?? "nothing"}).", target);
        }
        catch (Exception e) when (e is IOException or PgpException)
        {
            throw Damaged(target, e);
        }
    }

    private static string Describe(List<PgpPublicKeyEncryptedData> publicKeyParts, List<PgpPbeEncryptedData> passphraseParts)
    {
        var parts = new List<string>();
        if (publicKeyParts.Count > 0)
            parts.Add("to the key" + (publicKeyParts.Count > 1 ? "s " : " ") + string.Join(", ", publicKeyParts.Select(p => p.KeyId == 0 ? "(hidden)" : p.KeyId.ToString("X16", CultureInfo.InvariantCulture))));
        if (passphraseParts.Count > 0) parts.Add("with a passphrase");
        return parts.Count == 0 ? "" : " " + string.Join(" and ", parts);
    }

    internal static ClutterException Damaged(string target, Exception e) =>
        new(Errors.DecryptionFailed,
            $"The encrypted data of '{target}' is damaged or was modified ({e.Message}); it cannot be trusted.", target, e);

    /// <summary>The plain bytes; at their end the OpenPGP integrity check (MDC) must pass or reading fails.</summary>
    private sealed class DecryptingStream : Stream
    {
        private readonly Stream _inner;
        private readonly PgpEncryptedData _data;
        private readonly string _target;
        private bool _verified;

        public DecryptingStream(Stream inner, PgpEncryptedData data, string target)
        {
            _inner = inner; _data = data; _target = target;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.Length == 0) return 0;
            int n;
            try
            {
                n = _inner.Read(buffer);
                if (n > 0 || _verified) return n;
                _verified = true;
                if (!_data.IsIntegrityProtected())
                    throw new ClutterException(Errors.DecryptionFailed,
                        $"'{_target}' has no integrity protection (MDC), so modification cannot be detected; it is refused. Re-encrypt it with a current gpg.", _target);
                if (!_data.Verify())
                    throw new ClutterException(Errors.DecryptionFailed,
                        $"The encrypted data of '{_target}' fails its integrity check (MDC): it was modified or damaged and cannot be trusted.", _target);
            }
            catch (Exception e) when (e is EndOfStreamException or PgpException)
            {
                throw Damaged(_target, e);
            }
            return 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
