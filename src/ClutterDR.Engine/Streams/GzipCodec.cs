using System.IO.Compression;
using ClutterDR.Catalog;

[assembly: ClutterDR.Streams.StoredCodec(typeof(ClutterDR.Streams.GzipCodec))]

namespace ClutterDR.Streams;

/// <summary>gzip (.gz), for tools that read nothing newer; levels 1 (fastest), 2-8 (optimal), 9 (smallest).</summary>
internal sealed class GzipCodec : ICodec
{
    public CompressionKind Kind => CompressionKind.Gzip;
    public string Name => "Gzip";
    public string? Extension => "gz";
    public int DefaultLevel => 6;
    public (int Min, int Max) Levels => (1, 9);

    public Stream WrapForWrite(Stream inner, int level)
    {
        var gzLevel = level switch
        {
            <= 1 => CompressionLevel.Fastest,
            >= 9 => CompressionLevel.SmallestSize,
            _ => CompressionLevel.Optimal,
        };
        return new GZipStream(inner, gzLevel, leaveOpen: true);
    }

    public Stream WrapForRead(Stream inner) => new GZipStream(inner, CompressionMode.Decompress, leaveOpen: true);

    public bool IsDataError(Exception e) => e is InvalidDataException;
}
