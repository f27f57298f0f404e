using System.Globalization;
using ClutterDR.Storage;

namespace ClutterDR.Sync;

/// <summary>How the planner decides that a destination object already holds the source's content.</summary>
public enum SyncCompareMode
{
    /// <summary>Size, then the ETag where both sides are S3 with plain-MD5 ETags, else the modification time.</summary>
    Default,
    /// <summary>Size, then the content's MD5 (plain ETags, else read and hashed).</summary>
    Checksum,
    /// <summary>Size alone: the cheapest, blind to same-size edits.</summary>
    SizeOnly,
}


/// <summary>
/// One file or object of a listing. Key is relative to the side's root and '/'-separated.
/// ModifiedUtc is the content's modification time: for a file its write time; for an S3 object its
/// LastModified (the time it was written, ModifiedIsWriteTime) until its metadata is read, then the
/// source time kept in the "mtime" metadata if there is one. Md5 is the content's MD5 when known
/// (a plain ETag, or hashed). DetailsLoaded: metadata / hash have been fetched.
/// </summary>
public sealed record SyncEntry(string Key, long Size, DateTime ModifiedUtc, bool ModifiedIsWriteTime = false, string? Md5 = null, bool DetailsLoaded = false)
{
    /// <summary>The MD5 in an S3 ETag, or null when the ETag is not one (multipart "-N", SSE-KMS...).</summary>
    public static string? Md5FromETag(string? etag) => Storage.S3ObjectStore.Md5FromETag(etag);

    /// <summary>Name of the user metadata that keeps a source's modification time on S3 (rclone's convention).</summary>
    public const string MtimeMetadata = "mtime";

    /// <summary>Unix seconds with a fraction, as rclone writes it.</summary>
    public static string FormatMtime(DateTime utc) =>
        ((utc.ToUniversalTime() - DateTime.UnixEpoch).Ticks / (decimal)TimeSpan.TicksPerSecond).ToString("0.#######", CultureInfo.InvariantCulture);

    public static DateTime? ParseMtime(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (decimal.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            && seconds > -62135596800m && seconds < 253402300799m)
            return DateTime.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dto)) return dto.UtcDateTime;
        return null;
    }
}
