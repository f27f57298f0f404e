namespace ClutterDR;

/// <summary>MultipartUpload (S3), PartialFile (a folder), Claim: the empty name claim of a backup that was killed (both).</summary>
public enum DebrisKind { MultipartUpload, PartialFile, Claim }

/// <summary>What an interrupted backup left and Clear-ClutterBackupDebris (or the next backup) removed.</summary>
public sealed class DebrisItem
{
    /// <summary>The upload's object (s3://bucket/key), or the partial file's path.</summary>
    public string Location { get; init; } = "";
    /// <summary>The database folder it belongs to.</summary>
    public string Database { get; init; } = "";
    /// <summary>MultipartUpload (S3) or PartialFile (folder).</summary>
    public DebrisKind Kind { get; init; }
    /// <summary>When the upload was initiated (S3) or the partial file last written (folder), UTC.</summary>
    public DateTime Initiated { get; init; }
    /// <summary>The bytes it held (the uploaded parts, or the file's length); null when the server does not say.</summary>
    public long? Size { get; init; }
    /// <summary>The S3 upload id (multipart uploads only).</summary>
    public string? UploadId { get; init; }

    public override string ToString() => $"{Kind} {Location}";
}
