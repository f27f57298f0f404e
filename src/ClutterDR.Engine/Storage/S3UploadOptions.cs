namespace ClutterDR.Storage;

/// <summary>Tuning of streamed multipart uploads.</summary>
public sealed record S3UploadOptions
{
    /// <summary>Size of the first parts; later parts grow so that a stream of any size fits in 10,000 parts.</summary>
    public int InitialPartSize { get; init; } = 8 << 20;
    /// <summary>Parts uploading at once. Memory is bounded by part size x (this + 1).</summary>
    public int PartsInFlight { get; init; } = 4;
    /// <summary>A hint of the stream's final size, so that the first part size already fits it.</summary>
    public long? ExpectedSize { get; init; }
    /// <summary>S3 Object Lock retention for every object written (null: none). Such writes carry Content-MD5, as Amazon requires.</summary>
    public ObjectLock? ObjectLock { get; init; }
}
