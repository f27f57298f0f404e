using System.Buffers.Binary;

namespace ClutterDR.Crypto;

/// <summary>
/// OpenPGP packet framing for <see cref="SeipdWriter"/>: the byte sinks its layers are chained by, a packet body
/// written in 64 KiB partial-length chunks, and finding a packet in the key packets BouncyCastle wrote.
/// </summary>
internal sealed partial class SeipdWriter
{
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
}
