using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace ClutterDR.Catalog;

/// <summary>
/// One file of a storage snapshot: its key (relative to the snapshot's source), size, content modification
/// time, the listing's stamp that decides "unchanged" next time (Size + Listed), the SHA-256 of its content
/// (the blob's name), content type and user metadata.
/// </summary>
public sealed record SnapshotFile
{
    public required string Key { get; init; }
    public long Size { get; init; }
    public DateTime Modified { get; init; }
    /// <summary>The source listing's time of the object (S3: its write time; a file: its write time).</summary>
    public DateTime Listed { get; init; }
    /// <summary>MD5 of the content (hex) when known: a plain ETag of the source, or hashed while stored.</summary>
    public string? Md5 { get; init; }
    public required string Sha256 { get; init; }
    public string? ContentType { get; init; }
    public Dictionary<string, string>? Metadata { get; init; }
}

/// <summary>
/// The snapshot index, the one owner of the format of <c>snapshots/&lt;name&gt;_&lt;yyyyMMddTHHmmssZ&gt;.json.zst</c> and of
/// the blob layout <c>blobs/&lt;2 hex&gt;/&lt;sha256&gt;</c>: pure (JSON bytes in and out; Streams compresses them).
/// </summary>
public sealed class SnapshotIndex
{
    public const int CurrentVersion = 1;
    public const string SnapshotsPrefix = "snapshots/";
    public const string BlobsPrefix = "blobs/";
    public const string Suffix = ".json.zst";
    private const string StampFormat = "yyyyMMdd'T'HHmmss'Z'";
    private static readonly Regex KeyPattern = new(@"^snapshots/(?<name>[A-Za-z0-9._-]+)_(?<stamp>\d{8}T\d{6}Z)\.json\.zst$", RegexOptions.CultureInvariant);
    private static readonly Regex Sha256Pattern = new("^[0-9a-f]{64}$", RegexOptions.CultureInvariant);

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public int Version { get; set; } = CurrentVersion;
    public string Name { get; set; } = "";
    public DateTime Created { get; set; }
    public string Source { get; set; } = "";
    /// <summary>Blobs are OpenPGP messages (to these recipients, or a passphrase) when not None.</summary>
    public EncryptionKind Encryption { get; set; }
    public List<string>? RecipientFingerprints { get; set; }
    public int NewBlobs { get; set; }
    public long NewBytes { get; set; }
    public int Reused { get; set; }
    public TimeSpan Duration { get; set; }
    public List<SnapshotFile> Files { get; set; } = new();

    public long Bytes => Files.Sum(f => f.Size);

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Options);

    public static SnapshotIndex FromJson(byte[] json, string target)
    {
        SnapshotIndex? index;
        try
        {
            index = JsonSerializer.Deserialize<SnapshotIndex>(json, Options);
        }
        catch (JsonException e)
        {
            throw new ClutterException(Errors.SnapshotIndexInvalid, $"The snapshot index '{target}' is not valid JSON ({e.Message}). It is damaged: use another snapshot.", target, e);
        }
        if (index is null || index.Version != CurrentVersion || index.Files.Any(f => !IsSha256(f.Sha256)))
            throw new ClutterException(Errors.SnapshotIndexInvalid,
                $"The snapshot index '{target}' is not a version {CurrentVersion} index of this module, or names a blob that is no SHA-256. Use another snapshot, or a module that wrote it.", target);
        return index;
    }

    public static bool IsSha256(string? text) => text is not null && Sha256Pattern.IsMatch(text);

    /// <summary>Where the blob of this content lives, relative to the snapshot location.</summary>
    public static string BlobKey(string sha256) => $"{BlobsPrefix}{sha256[..2]}/{sha256}";

    public static string IndexKey(string name, DateTime createdUtc) =>
        $"{SnapshotsPrefix}{name}_{createdUtc.ToUniversalTime().ToString(StampFormat, CultureInfo.InvariantCulture)}{Suffix}";

    /// <summary>Name and creation time of an index key, or null for any other key.</summary>
    public static (string Name, DateTime Created)? ParseKey(string key)
    {
        var m = KeyPattern.Match(key);
        if (!m.Success) return null;
        var created = DateTime.ParseExact(m.Groups["stamp"].Value, StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        return (m.Groups["name"].Value, created);
    }

    /// <summary>A snapshot name: letters, digits, '.', '-' and '_' (others become '-'); a source's default is its bucket and prefix, or its folder's name.</summary>
    public static string NameOf(string? requested, BackupLocation source)
    {
        var text = !string.IsNullOrWhiteSpace(requested) ? requested
            : source.IsS3 ? (source.Prefix.Length == 0 ? source.Bucket : source.Bucket + "-" + source.Prefix)
            : System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(source.Path));
        var name = Regex.Replace(text.Trim(), "[^A-Za-z0-9._-]+", "-").Trim('-');
        if (name.Length == 0 || name.Length > 100)
            throw new ClutterException(Errors.InvalidSnapshotName,
                $"'{text}' cannot name a snapshot. Give -Name of 1 to 100 letters, digits, '.', '-' or '_'.", text);
        return name;
    }
}
