using System.Buffers.Binary;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;
using ClutterDR.Streams;

namespace ClutterDR.Crypto;

/// <summary>
/// The bulk of an OpenPGP message written with the platform's AES and SHA-1 (hardware accelerated,
/// about 5x BouncyCastle's managed ones): a symmetrically encrypted integrity-protected data packet
/// (RFC 4880 5.13, version 1: AES-256 CFB, MDC) around one literal data packet, both in 64 KiB partial
/// body chunks. BouncyCastle still writes the key packets (public key and passphrase session key
/// packets); <see cref="TryOpen"/> learns their session key and proves it before using it.
/// </summary>
internal sealed class SeipdWriter : WriteOnlyStream
{
    private const int ChunkPower = 16;
    private const int Chunk = 1 << ChunkPower;
    private readonly PartialPacketSink _outer;
    private readonly CfbSink _cfb;
    private readonly Sha1Sink _plain;
    private readonly PartialPacketSink _literal;
    private bool _finished;

    private SeipdWriter(Stream output, byte[] key, string fileName, DateTime modifiedUtc)
    {
        _outer = new PartialPacketSink(18, new StreamSink(output));
        _outer.Write(stackalloc byte[] { 1 });                     // packet version, not encrypted
        _cfb = new CfbSink(_outer, key);
        _plain = new Sha1Sink(_cfb);
        Span<byte> prefix = stackalloc byte[18];                    // random block, last two bytes repeated
        RandomNumberGenerator.Fill(prefix[..16]);
        prefix[16] = prefix[14]; prefix[17] = prefix[15];
        _plain.Write(prefix);
        _literal = new PartialPacketSink(11, _plain);
        var name = Encoding.UTF8.GetBytes(fileName);
        if (name.Length > 255) name = name[..255];
        var header = new byte[1 + 1 + name.Length + 4];
        header[0] = (byte)'b';
        header[1] = (byte)name.Length;
        name.CopyTo(header, 2);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(2 + name.Length), (uint)Math.Clamp(new DateTimeOffset(modifiedUtc, TimeSpan.Zero).ToUnixTimeSeconds(), 0, uint.MaxValue));
        _literal.Write(header);
    }

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

    /// <summary>Finds the first packet with <paramref name="tag"/> in a sequence of packets.</summary>
    private static bool TryFindPacket(byte[] data, int tag, out int start, out int bodyStart)
    {
        var pos = 0;
        start = bodyStart = -1;
        while (pos < data.Length)
        {
            var ctb = data[pos];
            if ((ctb & 0x80) == 0) return false;
            int packetTag, headerLength;
            long bodyLength;
            if ((ctb & 0x40) != 0)
            {
                packetTag = ctb & 0x3F;
                if (pos + 1 >= data.Length) return false;
                int l1 = data[pos + 1];
                if (l1 < 192) { headerLength = 2; bodyLength = l1; }
                else if (l1 < 224) { if (pos + 2 >= data.Length) return false; headerLength = 3; bodyLength = ((l1 - 192) << 8) + data[pos + 2] + 192; }
                else if (l1 == 255) { if (pos + 5 >= data.Length) return false; headerLength = 6; bodyLength = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(pos + 2, 4)); }
                else { headerLength = 2; bodyLength = -1; } // partial: only the data packet we look for
            }
            else
            {
                packetTag = (ctb >> 2) & 0x0F;
                var lengthType = ctb & 3;
                var n = lengthType switch { 0 => 1, 1 => 2, 2 => 4, _ => 0 };
                if (pos + n >= data.Length) return false;
                headerLength = 1 + n;
                bodyLength = 0;
                for (var i = 0; i < n; i++) bodyLength = (bodyLength << 8) | data[pos + 1 + i];
                if (n == 0) bodyLength = -1;
            }
            if (packetTag == tag) { start = pos; bodyStart = pos + headerLength; return true; }
            if (bodyLength < 0) return false;
            pos += headerLength + (int)bodyLength;
        }
        return false;
    }

    public override bool CanWrite => !_finished;
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _literal.Write(buffer);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_finished)
        {
            _finished = true;
            _literal.Finish();
            _plain.Write(stackalloc byte[] { 0xD3, 0x14 }); // the MDC packet's header is hashed too
            _cfb.Write(_plain.Hash());
            _cfb.Finish();
            _outer.Finish();
            _cfb.Dispose();
        }
        base.Dispose(disposing);
    }

    private interface IByteSink
    {
        void Write(ReadOnlySpan<byte> data);
    }

    private sealed class StreamSink(Stream stream) : IByteSink
    {
        public void Write(ReadOnlySpan<byte> data) => stream.Write(data);
    }

    /// <summary>A packet body in 64 KiB partial chunks, then a final definite length.</summary>
    private sealed class PartialPacketSink : IByteSink
    {
        private static readonly byte[] PartialLength = { 0xE0 | ChunkPower };
        private readonly IByteSink _next;
        private readonly byte[] _buffer = new byte[Chunk];
        private int _count;

        public PartialPacketSink(int tag, IByteSink next)
        {
            _next = next;
            _next.Write(stackalloc byte[] { (byte)(0xC0 | tag) });
        }

        public void Write(ReadOnlySpan<byte> data)
        {
            while (data.Length > 0)
            {
                if (_count == Chunk)
                {
                    _next.Write(PartialLength);
                    _next.Write(_buffer);
                    _count = 0;
                }
                var n = Math.Min(Chunk - _count, data.Length);
                data[..n].CopyTo(_buffer.AsSpan(_count));
                _count += n;
                data = data[n..];
            }
        }

        public void Finish()
        {
            Span<byte> length = stackalloc byte[5];
            int l;
            if (_count < 192) { length[0] = (byte)_count; l = 1; }
            else if (_count < 8384) { length[0] = (byte)(((_count - 192) >> 8) + 192); length[1] = (byte)((_count - 192) & 0xFF); l = 2; }
            else { length[0] = 0xFF; BinaryPrimitives.WriteUInt32BigEndian(length[1..], (uint)_count); l = 5; }
            _next.Write(length[..l]);
            _next.Write(_buffer.AsSpan(0, _count));
            _count = 0;
        }
    }

    /// <summary>Plain bytes on their way to encryption, hashed for the MDC.</summary>
    private sealed class Sha1Sink(IByteSink next) : IByteSink
    {
        private readonly IncrementalHash _sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);

        public void Write(ReadOnlySpan<byte> data)
        {
            _sha1.AppendData(data);
            next.Write(data);
        }

        public byte[] Hash() => _sha1.GetHashAndReset();
    }

    /// <summary>AES-256 in OpenPGP's CFB (zero IV, no resync), in large batches of whole blocks.</summary>
    private sealed class CfbSink : IByteSink, IDisposable
    {
        private const int Batch = 1 << 18;
        private readonly IByteSink _next;
        private readonly Aes _aes = Aes.Create();
        private readonly byte[] _feedback = new byte[16];
        private readonly byte[] _plain = new byte[Batch];
        private readonly byte[] _cipher = new byte[Batch];
        private int _count;

        public CfbSink(IByteSink next, byte[] key)
        {
            _next = next;
            _aes.Key = key;
        }

        public void Write(ReadOnlySpan<byte> data)
        {
            while (data.Length > 0)
            {
                var n = Math.Min(Batch - _count, data.Length);
                data[..n].CopyTo(_plain.AsSpan(_count));
                _count += n;
                data = data[n..];
                if (_count == Batch) EncryptWholeBlocks();
            }
        }

        private void EncryptWholeBlocks()
        {
            var whole = _count & ~15;
            if (whole == 0) return;
            _aes.EncryptCfb(_plain.AsSpan(0, whole), _feedback, _cipher.AsSpan(0, whole), PaddingMode.None, 128);
            _cipher.AsSpan(whole - 16, 16).CopyTo(_feedback);
            _next.Write(_cipher.AsSpan(0, whole));
            _plain.AsSpan(whole, _count - whole).CopyTo(_plain);
            _count -= whole;
        }

        public void Finish()
        {
            EncryptWholeBlocks();
            if (_count == 0) return;
            var keystream = _aes.EncryptEcb(_feedback, PaddingMode.None);
            for (var i = 0; i < _count; i++) _cipher[i] = (byte)(_plain[i] ^ keystream[i]);
            _next.Write(_cipher.AsSpan(0, _count));
            _count = 0;
        }

        public void Dispose() => _aes.Dispose();
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
