using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;
using ClutterDR.Streams;

namespace ClutterDR.Crypto;

/// <summary>Encryption as gpg does it, checked before any data flows: keys loaded, passphrase present.</summary>
public sealed class EncryptionPlan
{
    /// <summary>gpg's strongest S2K count (65,011,712 bytes hashed): a passphrase guess costs what gpg's costs.</summary>
    private const int S2kCount = 0xFF;
    private const int PacketChunk = 1 << 16;

    private readonly EncryptionOptions _options;

    private EncryptionPlan(EncryptionOptions options, IReadOnlyList<RecipientKey> recipients)
    {
        _options = options; Recipients = recipients;
    }

    public IReadOnlyList<RecipientKey> Recipients { get; }
    public bool UsesPassphrase => _options.Passphrase is not null;

    /// <summary>"PublicKey", "Passphrase" or "PublicKey, Passphrase": what the manifest records.</summary>
    public string Method => string.Join(", ", new[] { Recipients.Count > 0 ? "PublicKey" : null, UsesPassphrase ? "Passphrase" : null }.Where(m => m is not null));

    public static EncryptionPlan Prepare(EncryptionOptions options)
    {
        if (!options.Enabled) throw new ArgumentException("No recipient and no passphrase.", nameof(options));
        if (options.Passphrase is { Length: 0 })
            throw new ClutterException(Errors.PassphraseEmpty,
                "The passphrase is empty. Give a passphrase (Read-Host -AsSecureString), or use -Recipient.", "Passphrase");
        return new EncryptionPlan(options, OpenPgpKeys.LoadRecipients(options.Recipients));
    }

    /// <summary>
    /// A write-only stream whose bytes reach <paramref name="output"/> as one OpenPGP message: AES-256,
    /// integrity-protected (SEIPD with MDC), one literal data packet, no OpenPGP compression (the data is
    /// compressed already). Disposing it writes the end of the message; <paramref name="output"/> stays open.
    /// </summary>
    public Stream Open(Stream output, string fileName, DateTime modifiedUtc) =>
        Recipients.Count == 0
            ? SeipdWriter.OpenWithPassphrase(output, _options.Passphrase!, S2kCount, fileName, modifiedUtc)
            : SeipdWriter.TryOpen(output, AddMethods, fileName, modifiedUtc) ?? OpenWithBouncyCastle(output, fileName, modifiedUtc);

    /// <summary>BouncyCastle's own (slower) stream: the fallback, and the reference the fast writer is tested against.</summary>
    internal Stream OpenWithBouncyCastle(Stream output, string fileName, DateTime modifiedUtc)
    {
        var generator = new PgpEncryptedDataGenerator(SymmetricKeyAlgorithmTag.Aes256, true, new SecureRandom());
        AddMethods(generator);
        var encrypted = generator.Open(output, new byte[PacketChunk]);
        var literal = new PgpLiteralDataGenerator().Open(encrypted, PgpLiteralData.Binary, fileName, modifiedUtc, new byte[PacketChunk]);
        return new EncryptingStream(literal, encrypted);
    }

    private void AddMethods(PgpEncryptedDataGenerator generator)
    {
        foreach (var r in Recipients) generator.AddMethod(r.EncryptionKey);
        if (_options.Passphrase is not null)
        {
            using var chars = new SecureChars(_options.Passphrase); // the key is derived inside AddMethod
            generator.AddMethodUtf8(chars.Value, HashAlgorithmTag.Sha256, S2kCount);
        }
    }

    private sealed class EncryptingStream : WriteOnlyStream
    {
        private Stream? _literal;
        private Stream? _encrypted;

        public EncryptingStream(Stream literal, Stream encrypted)
        {
            _literal = literal; _encrypted = encrypted;
        }

        private Stream Literal => _literal ?? throw new ObjectDisposedException(nameof(EncryptingStream));
        public override bool CanWrite => _literal is not null;
        public override void Write(byte[] buffer, int offset, int count) => Literal.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => Literal.Write(buffer);
        public override void WriteByte(byte value) => Literal.WriteByte(value);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                // Literal packet first, then the MDC and the encrypted packet's end.
                _literal?.Dispose();
                _literal = null;
                _encrypted?.Dispose();
                _encrypted = null;
            }
            base.Dispose(disposing);
        }
    }
}
