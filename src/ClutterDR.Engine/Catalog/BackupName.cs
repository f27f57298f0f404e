using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ClutterDR.Catalog;

public enum DumpFormat { Custom, Plain }
public enum CompressionKind { Zstd, Gzip, None }
public enum EncryptionKind { None, OpenPgp }
/// <summary>What a backup holds: a database dump, or a configuration backup (a tar: Backup-ClutterConfiguration).</summary>
public enum BackupKind { Database, Config }

/// <summary>
/// Backup object names: <c>&lt;database&gt;/&lt;database&gt;_&lt;yyyyMMddTHHmmssZ&gt;[-n][-r&lt;tail&gt;].&lt;ext&gt;</c>, plus
/// <c>&lt;same&gt;.manifest.json</c>. Names sort by time, so the newest backup is found from a listing alone.
/// The sequence -n numbers the backups of one second where names can be claimed (a folder, an S3 endpoint
/// with conditional writes); elsewhere a random tail (-r and six letters or digits) keeps them apart.
/// </summary>
public sealed partial class BackupName : IComparable<BackupName>
{
    public const string ManifestSuffix = ".manifest.json";
    private const string TimeFormat = "yyyyMMdd'T'HHmmss'Z'";

    public const string ClaimSuffix = ".claim";
    /// <summary>The empty sidecar object <c>&lt;data object&gt;.pinned</c> that pins a backup (Set-ClutterBackup); never a backup itself.</summary>
    public const string PinnedSuffix = ".pinned";
    private const int TailLength = 6;
    private const string TailAlphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public BackupName(string databaseFolder, DateTime createdUtc, int sequence, string extension, string? tail = null)
    {
        if (tail is not null && !IsTail(tail))
            throw new ArgumentException($"A name's tail is 'r' and {TailLength} lowercase letters or digits 2-7.", nameof(tail));
        DatabaseFolder = databaseFolder;
        CreatedUtc = DateTime.SpecifyKind(createdUtc.AddTicks(-(createdUtc.Ticks % TimeSpan.TicksPerSecond)), DateTimeKind.Utc);
        Sequence = sequence;
        Extension = extension;
        Tail = tail;
    }

    /// <summary>The database name made safe for a path segment.</summary>
    public string DatabaseFolder { get; }
    public DateTime CreatedUtc { get; }
    /// <summary>1 for the first backup of a second; 2, 3, ... for later ones in the same second.</summary>
    public int Sequence { get; }
    public string Extension { get; }
    /// <summary>
    /// Null, or 'r' and six random characters: the names of backups where names cannot be claimed (an S3
    /// endpoint that ignores conditional writes), so that two backups of one second cannot pick the same.
    /// </summary>
    public string? Tail { get; }

    public string FileName =>
        $"{DatabaseFolder}_{CreatedUtc.ToString(TimeFormat, CultureInfo.InvariantCulture)}{(Sequence > 1 ? "-" + Sequence.ToString(CultureInfo.InvariantCulture) : "")}{(Tail is null ? "" : "-" + Tail)}.{Extension}";
    public string ManifestFileName => FileName + ManifestSuffix;
    /// <summary>Key of the data object relative to the repository location.</summary>
    public string Key => DatabaseFolder + "/" + FileName;
    public string ManifestKey => Key + ManifestSuffix;
    /// <summary>
    /// The empty object that reserves this name while its backup is written (created only if absent, removed
    /// once the manifest is written or the backup failed). Never listed as a backup: it is not a manifest.
    /// </summary>
    public string ClaimKey => Key + ClaimSuffix;
    /// <summary>The sidecar that pins this backup (see <see cref="PinnedSuffix"/>).</summary>
    public string PinnedKey => Key + PinnedSuffix;

    public BackupName WithSequence(int sequence) => new(DatabaseFolder, CreatedUtc, sequence, Extension, Tail);
    public BackupName WithTail(string? tail) => new(DatabaseFolder, CreatedUtc, Sequence, Extension, tail);

    /// <summary>A new random tail: 'r' and six characters (30 bits) from a cryptographic generator.</summary>
    public static string RandomTail()
    {
        Span<char> chars = stackalloc char[TailLength + 1];
        chars[0] = 'r';
        for (var i = 1; i < chars.Length; i++) chars[i] = TailAlphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(TailAlphabet.Length)];
        return new string(chars);
    }

    private static bool IsTail(string tail) =>
        tail.Length == TailLength + 1 && tail[0] == 'r' && tail.AsSpan(1).IndexOfAnyExcept(TailAlphabet) < 0;

    /// <summary>The data object's extension (dump.zst, sql.gz.gpg ...): the stored format's, <see cref="Streams.StoredFormat.Extension"/>.</summary>
    public static string ExtensionFor(DumpFormat format, CompressionKind compression, EncryptionKind encryption) =>
        Streams.StoredFormat.Extension(format, compression, encryption);

    /// <summary>A database name as a path segment: letters, digits, '.', '-', '_' kept, the rest '_'.</summary>
    public static string SafeFolderName(string database)
    {
        var sb = new StringBuilder(database.Length);
        foreach (var c in database)
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        var s = sb.ToString().Trim('.');
        return s.Length == 0 ? "_" : s;
    }

    [GeneratedRegex(@"^(?<db>.+)_(?<ts>\d{8}T\d{6}Z)(?:-(?<seq>\d{1,6}))?(?:-(?<tail>r[a-z2-7]{6}))?\.(?<ext>(?:dump|sql|tar)(?:\.[a-z0-9]+)*)$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <summary>Parses a data object's or a manifest's file name; null when it is not one of ours (a claim or a pin is not).</summary>
    public static BackupName? TryParse(string fileName)
    {
        if (fileName.EndsWith(ClaimSuffix, StringComparison.Ordinal) || fileName.EndsWith(PinnedSuffix, StringComparison.Ordinal)) return null;
        var isManifest = fileName.EndsWith(ManifestSuffix, StringComparison.Ordinal);
        var dataName = isManifest ? fileName.Substring(0, fileName.Length - ManifestSuffix.Length) : fileName;
        var m = NamePattern().Match(dataName);
        if (!m.Success) return null;
        if (!DateTime.TryParseExact(m.Groups["ts"].Value, TimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var ts))
            return null;
        var seq = m.Groups["seq"].Success ? int.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture) : 1;
        return new BackupName(m.Groups["db"].Value, ts, seq, m.Groups["ext"].Value, m.Groups["tail"].Success ? m.Groups["tail"].Value : null);
    }

    public int CompareTo(BackupName? other)
    {
        if (other is null) return 1;
        var c = CreatedUtc.CompareTo(other.CreatedUtc);
        if (c != 0) return c;
        c = Sequence.CompareTo(other.Sequence);
        if (c != 0) return c;
        // Tails are random: within one second they order names consistently, not by time.
        c = string.CompareOrdinal(Tail, other.Tail);
        return c != 0 ? c : string.CompareOrdinal(Key, other.Key);
    }

    /// <summary>A configuration backup's data object is a tar (tar, tar.zst, tar.gz.gpg ...); the others are dumps.</summary>
    public BackupKind Kind => Extension == "tar" || Extension.StartsWith("tar.", StringComparison.Ordinal) ? BackupKind.Config : BackupKind.Database;

    public override string ToString() => Key;
}
