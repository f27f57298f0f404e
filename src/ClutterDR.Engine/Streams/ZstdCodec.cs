using ClutterDR.Catalog;
using ZstdSharp;
using ZstdSharp.Unsafe;

[assembly: ClutterDR.Streams.StoredCodec(typeof(ClutterDR.Streams.ZstdCodec))]

namespace ClutterDR.Streams;

/// <summary>Zstandard (.zst), with the frame checksum on so that a restore detects corruption.</summary>
internal sealed class ZstdCodec : ICodec
{
    /// <summary>
    /// Level 1: a backup competes for the same cores as the server producing the dump, and on the
    /// Clutter fixture level 3 cost 2.3 times the CPU of level 1 for 1% smaller output (bench/backup.ps1).
    /// </summary>
    public const int DefaultZstdLevel = 1;
    private const int BufferSize = 1 << 20;

    public CompressionKind Kind => CompressionKind.Zstd;
    public string Name => "Zstd";
    public string? Extension => "zst";
    public int DefaultLevel => DefaultZstdLevel;
    public (int Min, int Max) Levels => (1, 19);

    public Stream WrapForWrite(Stream inner, int level)
    {
        var zstd = new CompressionStream(inner, level, BufferSize, leaveOpen: true);
        zstd.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1); // detect corruption on restore
        return zstd;
    }

    public Stream WrapForRead(Stream inner) => new DecompressionStream(inner, BufferSize, checkEndOfStream: true, leaveOpen: true);

    public bool IsDataError(Exception e) => e is ZstdException;
}
