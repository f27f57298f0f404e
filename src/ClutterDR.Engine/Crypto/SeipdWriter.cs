using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using ClutterDR.Streams;

namespace ClutterDR.Crypto;

/// <summary>
/// The bulk of an OpenPGP message written with the platform's AES and SHA-1 (hardware accelerated,
/// about 5x BouncyCastle's managed ones): a symmetrically encrypted integrity-protected data packet
/// (RFC 4880 5.13, version 1: AES-256 CFB, MDC) around one literal data packet, both in 64 KiB partial
/// body chunks. BouncyCastle still writes the key packets (public key and passphrase session key
/// packets); <see cref="TryOpen"/> learns their session key and proves it before using it.
/// This file chains the layers and writes the packets' headers and the MDC; the session key is in
/// SeipdWriter.Keys.cs, the packet framing in SeipdWriter.Packets.cs, SHA-1 and AES-CFB in SeipdWriter.Cipher.cs.
/// </summary>
internal sealed partial class SeipdWriter : WriteOnlyStream
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
}
