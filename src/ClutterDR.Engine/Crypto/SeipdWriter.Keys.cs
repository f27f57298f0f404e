using System.Security;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;

namespace ClutterDR.Crypto;

/// <summary>
/// How a <see cref="SeipdWriter"/> gets its session key: from a passphrase (iterated and salted SHA-256 S2K, one
/// symmetric-key session packet), or from the key packets BouncyCastle writes for public keys and passphrases, whose
/// session key it learns from the random bytes it handed BouncyCastle and proves against the encrypted prefix.
/// </summary>
internal sealed partial class SeipdWriter
{
    /// <summary>
    /// A passphrase and no public key: the session key is the passphrase's iterated and salted S2K
    /// (SHA-256, RFC 4880 3.7.1.3), announced by one symmetric-key session packet (tag 3, version 4,
    /// no encrypted session key), which is what gpg --symmetric writes.
    /// </summary>
    public static Stream OpenWithPassphrase(Stream output, SecureString passphrase, int s2kCount, string fileName, DateTime modifiedUtc)
    {
        var salt = RandomNumberGenerator.GetBytes(8);
        byte[] key;
        using (var chars = new SecureChars(passphrase))
        {
            var secret = Encoding.UTF8.GetBytes(chars.Value);
            try { key = IteratedSaltedSha256(salt, secret, s2kCount); }
            finally { Array.Clear(secret); }
        }
        Span<byte> packet = stackalloc byte[2 + 13];
        packet[0] = 0xC0 | 3; packet[1] = 13;
        packet[2] = 4;                                            // version
        packet[3] = (byte)SymmetricKeyAlgorithmTag.Aes256;
        packet[4] = 3;                                            // S2K: iterated and salted
        packet[5] = (byte)HashAlgorithmTag.Sha256;
        salt.CopyTo(packet[6..]);
        packet[14] = (byte)s2kCount;
        output.Write(packet);
        try { return new SeipdWriter(output, key, fileName, modifiedUtc); }
        finally { Array.Clear(key); }
    }

    /// <summary>RFC 4880 iterated and salted S2K with SHA-256 (a 32-byte key: one hash context).</summary>
    internal static byte[] IteratedSaltedSha256(byte[] salt, byte[] passphrase, int codedCount)
    {
        long count = (16L + (codedCount & 15)) << ((codedCount >> 4) + 6);
        var unit = new byte[salt.Length + passphrase.Length];
        salt.CopyTo(unit, 0);
        passphrase.CopyTo(unit, salt.Length);
        if (count < unit.Length) count = unit.Length;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Hash many units per call: the count is tens of megabytes.
        var batch = new byte[unit.Length * Math.Max(1, 65536 / unit.Length)];
        for (var i = 0; i < batch.Length; i += unit.Length) unit.CopyTo(batch, i);
        while (count > 0)
        {
            var n = (int)Math.Min(count, batch.Length);
            hash.AppendData(batch, 0, n);
            count -= n;
        }
        Array.Clear(unit); Array.Clear(batch);
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// Lets BouncyCastle write the key packets to <paramref name="output"/> and continues with the fast
    /// writer; null (nothing written) when the session key cannot be learnt and proven, so the caller
    /// uses BouncyCastle's own stream instead.
    /// </summary>
    public static Stream? TryOpen(Stream output, Action<PgpEncryptedDataGenerator> addMethods, string fileName, DateTime modifiedUtc)
    {
        var random = new RecordingRandom();
        var generator = new PgpEncryptedDataGenerator(SymmetricKeyAlgorithmTag.Aes256, true, random);
        addMethods(generator);
        var captured = new MemoryStream();
        // A definite length makes BouncyCastle write the encrypted prefix through at once (the stream is then dropped).
        _ = generator.Open(captured, 1L << 20);
        var bytes = captured.ToArray();
        if (!TryFindPacket(bytes, 18, out var seipdStart, out var bodyStart) || bytes.Length < bodyStart + 1 + 16 || bytes[bodyStart] != 1) return null;
        var firstBlock = bytes.AsSpan(bodyStart + 1, 16);

        var candidates = random.Chunks.Where(c => c.Length == 32).ToList();
        foreach (var key in candidates)
        {
            // CFB with a zero IV: the first block is the random prefix BouncyCastle drew, XOR AES(key, 0).
            using var aes = Aes.Create();
            aes.Key = key;
            var keystream = aes.EncryptEcb(new byte[16], PaddingMode.None);
            var plain = new byte[16];
            for (var i = 0; i < 16; i++) plain[i] = (byte)(firstBlock[i] ^ keystream[i]);
            if (!random.Chunks.Any(c => c.Length == 16 && c.AsSpan().SequenceEqual(plain))) continue;
            output.Write(bytes, 0, seipdStart); // the key packets
            return new SeipdWriter(output, key, fileName, modifiedUtc);
        }
        return null;
    }

    /// <summary>A SecureRandom that remembers what it handed out (the session key and prefix among it).</summary>
    private sealed class RecordingRandom : SecureRandom
    {
        public List<byte[]> Chunks { get; } = new();

        public override void NextBytes(byte[] buf)
        {
            base.NextBytes(buf);
            Chunks.Add((byte[])buf.Clone());
        }

        public override void NextBytes(byte[] buf, int off, int len)
        {
            base.NextBytes(buf, off, len);
            Chunks.Add(buf.AsSpan(off, len).ToArray());
        }

        public override void NextBytes(Span<byte> buffer)
        {
            base.NextBytes(buffer);
            Chunks.Add(buffer.ToArray());
        }
    }
}
