namespace ClutterDR.Catalog;

public enum LocationKind { FileSystem, S3 }

/// <summary>
/// Where backups live: <c>s3://bucket/prefix</c> or a folder. The one parser of location syntax.
/// Keys below a location are '/'-separated and relative to it.
/// </summary>
public sealed class BackupLocation
{
    private BackupLocation(LocationKind kind, string bucket, string prefix, string path)
    {
        Kind = kind; Bucket = bucket; Prefix = prefix; Path = path;
    }

    public LocationKind Kind { get; }
    /// <summary>S3 bucket name (S3 only).</summary>
    public string Bucket { get; }
    /// <summary>S3 key prefix without leading or trailing '/', possibly empty (S3 only).</summary>
    public string Prefix { get; }
    /// <summary>Full folder or file path (file system only).</summary>
    public string Path { get; }

    public bool IsS3 => Kind == LocationKind.S3;

    public static bool LooksLikeS3(string text) => text.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a location. A file system path must already be resolved to a full provider path.</summary>
    public static BackupLocation Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ClutterException(Errors.InvalidLocation,
                "The location is empty. Give a folder path or s3://bucket/prefix.", text);
        text = text.Trim();
        if (LooksLikeS3(text))
        {
            var rest = text.Substring(5);
            var slash = rest.IndexOf('/');
            var bucket = slash < 0 ? rest : rest.Substring(0, slash);
            var prefix = slash < 0 ? "" : rest.Substring(slash + 1).Trim('/');
            if (bucket.Length == 0 || bucket.Contains('\\') || bucket.Contains(' '))
                throw new ClutterException(Errors.InvalidLocation,
                    $"'{text}' is not a valid S3 location. Use s3://bucket or s3://bucket/prefix.", text);
            return new BackupLocation(LocationKind.S3, bucket, prefix, "");
        }
        if (text.Contains("://", StringComparison.Ordinal))
            throw new ClutterException(Errors.InvalidLocation,
                $"'{text}' uses a scheme ClutterDR does not support. Use a folder path or s3://bucket/prefix.", text);
        return new BackupLocation(LocationKind.FileSystem, "", "", System.IO.Path.GetFullPath(text));
    }

    public static BackupLocation ForS3(string bucket, string prefix) => new(LocationKind.S3, bucket, prefix.Trim('/'), "");
    public static BackupLocation ForFolder(string path) => new(LocationKind.FileSystem, "", "", System.IO.Path.GetFullPath(path));

    /// <summary>The S3 key (or file path) of a key relative to this location.</summary>
    public string FullKey(string relativeKey) =>
        Kind == LocationKind.S3
            ? (Prefix.Length == 0 ? relativeKey : Prefix + "/" + relativeKey)
            : System.IO.Path.Combine(new[] { Path }.Concat(relativeKey.Split('/')).ToArray());

    /// <summary>The location text of a key relative to this location (what users see and paste).</summary>
    public string Describe(string relativeKey) =>
        Kind == LocationKind.S3 ? $"s3://{Bucket}/{FullKey(relativeKey)}" : FullKey(relativeKey);

    /// <summary>Splits the location of one object into its parent location and its name.</summary>
    public (BackupLocation Parent, string Name) SplitObject()
    {
        if (Kind == LocationKind.S3)
        {
            var i = Prefix.LastIndexOf('/');
            if (Prefix.Length == 0)
                throw new ClutterException(Errors.InvalidLocation,
                    $"'{this}' names a bucket, not a backup. Give the location of one backup (from Get-ClutterBackup).", ToString());
            return i < 0 ? (ForS3(Bucket, ""), Prefix) : (ForS3(Bucket, Prefix.Substring(0, i)), Prefix.Substring(i + 1));
        }
        var dir = System.IO.Path.GetDirectoryName(Path);
        var name = System.IO.Path.GetFileName(Path);
        if (string.IsNullOrEmpty(dir) || string.IsNullOrEmpty(name))
            throw new ClutterException(Errors.InvalidLocation,
                $"'{Path}' is not the location of one backup file. Give the location of one backup (from Get-ClutterBackup).", Path);
        return (ForFolder(dir), name);
    }

    /// <summary>
    /// The location of one backup, given as its data object or as its manifest: the parent location and the data
    /// object's name (a trailing .manifest.json taken off).
    /// </summary>
    public (BackupLocation Parent, string DataObject) SplitBackup()
    {
        var (parent, name) = SplitObject();
        if (name.EndsWith(BackupName.ManifestSuffix, StringComparison.Ordinal)) name = name[..^BackupName.ManifestSuffix.Length];
        return (parent, name);
    }

    public override string ToString() =>
        Kind == LocationKind.S3 ? (Prefix.Length == 0 ? $"s3://{Bucket}" : $"s3://{Bucket}/{Prefix}") : Path;
}
