using ClutterDR.Catalog;

namespace ClutterDR.Streams;

/// <summary>
/// One compression of the stored format: its name, its file extension, its levels, its streams for writing and
/// reading, and which of its exceptions mean damaged data. A new codec is one class implementing this (and its
/// member of <see cref="CompressionKind"/>), registered in that file with <c>[assembly: StoredCodec(typeof(...))]</c>,
/// where <see cref="StoredFormat"/> finds it.
/// </summary>
public interface ICodec
{
    CompressionKind Kind { get; }
    /// <summary>The name messages use ("Zstd").</summary>
    string Name { get; }
    /// <summary>The extension part after the dump's ("zst"); null when the codec adds none.</summary>
    string? Extension { get; }
    int DefaultLevel { get; }
    (int Min, int Max) Levels { get; }
    /// <summary>A stream that compresses what is written to it into <paramref name="inner"/> (left open).</summary>
    Stream WrapForWrite(Stream inner, int level);
    /// <summary>A stream that reads decompressed bytes out of <paramref name="inner"/> (left open).</summary>
    Stream WrapForRead(Stream inner);
    /// <summary>True when the exception is this codec's way of saying the compressed data is damaged.</summary>
    bool IsDataError(Exception e);
}

/// <summary>Registers a codec with <see cref="StoredFormat"/>: written once, in the codec's own file.</summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class StoredCodecAttribute : Attribute
{
    public StoredCodecAttribute(Type codec) => Codec = codec;
    public Type Codec { get; }
}
