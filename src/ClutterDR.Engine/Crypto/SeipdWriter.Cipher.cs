using System.Security.Cryptography;

namespace ClutterDR.Crypto;

/// <summary>
/// The encryption layers of <see cref="SeipdWriter"/>: SHA-1 over the plain bytes for the modification detection
/// code, and AES-256 in OpenPGP CFB mode in batches of whole blocks.
/// </summary>
internal sealed partial class SeipdWriter
{
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
}
