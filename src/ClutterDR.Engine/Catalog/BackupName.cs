using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ClutterDR.Catalog;

public enum DumpFormat { Custom, Plain }
public enum CompressionKind { Zstd, Gzip, None }
public enum EncryptionKind { None, OpenPgp }

/// <summary>
/// Backup object names: <c>&lt;database&gt;/&lt;database&gt;_&lt;yyyyMMddTHHmmssZ&gt;[-n].&lt;ext&gt;</c>, plus
/// <c>&lt;same&gt;.manifest.json</c>. Names sort by time, so the newest backup is found from a listing alone.
/// </summary>
public sealed partial class BackupName : IComparable<BackupName>
{
    public const string ManifestSuffix = ".manifest.json";
    private const string TimeFormat = "yyyyMMdd'T'HHmmss'Z'";

    public BackupName(string databaseFolder, DateTime createdUtc, int sequence, string extension)
    {
        DatabaseFolder = databaseFolder;
        CreatedUtc = DateTime.SpecifyKind(createdUtc.AddTicks(-(createdUtc.Ticks % TimeSpan.TicksPerSecond)), DateTimeKind.Utc);
        Sequence = sequence;
        Extension = extension;
    }

    /// <summary>The database name made safe for a path segment.</summary>
    public string DatabaseFolder { get; }
    public DateTime CreatedUtc { get; }
    /// <summary>1 for the first backup of a second; 2, 3, ... for later ones in the same second.</summary>
    public int Sequence { get; }
    public string Extension { get; }

    public string FileName =>
        $"{DatabaseFolder}_{CreatedUtc.ToString(TimeFormat, CultureInfo.InvariantCulture)}{(Sequence > 1 ? "-" + Sequence.ToString(CultureInfo.InvariantCulture) : "")}.{Extension}";
    public string ManifestFileName => FileName + ManifestSuffix;
    /// <summary>Key of the data object relative to the repository location.</summary>
    public string Key => DatabaseFolder + "/" + FileName;
    public string ManifestKey => Key + ManifestSuffix;

    public BackupName WithSequence(int sequence) => new(DatabaseFolder, CreatedUtc, sequence, Extension);

    public static string ExtensionFor(DumpFormat format, CompressionKind compression, EncryptionKind encryption)
    {
        var sb = new StringBuilder(format == DumpFormat.Custom ? "dump" : "sql");
        if (compression == CompressionKind.Zstd) sb.Append(".zst");
        else if (compression == CompressionKind.Gzip) sb.Append(".gz");
        if (encryption == EncryptionKind.OpenPgp) sb.Append(".gpg");
        return sb.ToString();
    }

    /// <summary>A database name as a path segment: letters, digits, '.', '-', '_' kept, the rest '_'.</summary>
    public static string SafeFolderName(string database)
    {
        var sb = new StringBuilder(database.Length);
        foreach (var c in database)
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        var s = sb.ToString().Trim('.');
        return s.Length == 0 ? "_" : s;
    }

    [GeneratedRegex(@"^(?<db>.+)_(?<ts>\d{8}T\d{6}Z)(?:-(?<seq>\d{1,6}))?\.(?<ext>(?:dump|sql)(?:\.[a-z0-9]+)*)$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <summary>Parses a data object's or a manifest's file name; null when it is not one of ours.</summary>
    public static BackupName? TryParse(string fileName)
    {
        var isManifest = fileName.EndsWith(ManifestSuffix, StringComparison.Ordinal);
        var dataName = isManifest ? fileName.Substring(0, fileName.Length - ManifestSuffix.Length) : fileName;
        var m = NamePattern().Match(dataName);
        if (!m.Success) return null;
        if (!DateTime.TryParseExact(m.Groups["ts"].Value, TimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var ts))
            return null;
        var seq = m.Groups["seq"].Success ? int.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture) : 1;
        return new BackupName(m.Groups["db"].Value, ts, seq, m.Groups["ext"].Value);
    }

    public int CompareTo(BackupName? other)
    {
        if (other is null) return 1;
        var c = CreatedUtc.CompareTo(other.CreatedUtc);
        if (c != 0) return c;
        c = Sequence.CompareTo(other.Sequence);
        return c != 0 ? c : string.CompareOrdinal(Key, other.Key);
    }

    public override string ToString() => Key;
}
