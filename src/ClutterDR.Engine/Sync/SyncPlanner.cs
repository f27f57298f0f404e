using System.Text;
using System.Text.RegularExpressions;

namespace ClutterDR.Sync;

/// <summary>What to compare and which keys take part.</summary>
public sealed record SyncPlanOptions
{
    public SyncCompareMode Mode { get; init; } = SyncCompareMode.Default;
    /// <summary>Wildcards (* ? [a-z]) matched against the whole relative key, case-insensitively; '*' crosses '/'. Empty: every key.</summary>
    public IReadOnlyList<string> Include { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();
    /// <summary>Delete destination keys that the source lacks (excluded keys are never deleted).</summary>
    public bool Delete { get; init; }
    /// <summary>The destination is a folder: keys become file paths and must stay inside it.</summary>
    public bool DestinationIsFolder { get; init; }
    /// <summary>Refuse names Windows cannot store too. Null: the current platform's rules.</summary>
    public bool? WindowsNames { get; init; }
}

/// <summary>
/// One planned action. Refusal is set when the key cannot be written safely (UnsafeObjectKey);
/// NeedsDetails when the listings alone cannot tell whether the content changed: the executor reads
/// the metadata or hashes, then calls <see cref="SyncPlanner.Decide"/> again.
/// </summary>
public sealed record SyncPlanItem(SyncActionKind Action, string Key, long Size, SyncEntry? Source, SyncEntry? Destination,
    string? Refusal = null, bool NeedsDetails = false);

/// <summary>The result of comparing two entries of the same key.</summary>
public enum SyncDecision { Same, Differs, NeedsDetails }

/// <summary>
/// The sync plan as pure logic: two listings and options in, actions out. No I/O, so every rule is
/// unit-tested on its own (tests/ClutterDR.Tests/SyncPlanTests.cs).
/// </summary>
public static class SyncPlanner
{
    /// <summary>Kept times (file times, "mtime" metadata) are exact to the tick; allow for file systems that round below a millisecond.</summary>
    public static readonly TimeSpan SameTime = TimeSpan.FromMilliseconds(1);
    /// <summary>S3's LastModified has whole seconds.</summary>
    public static readonly TimeSpan WriteTimePrecision = TimeSpan.FromSeconds(1);

    public static List<SyncPlanItem> Plan(IEnumerable<SyncEntry> source, IEnumerable<SyncEntry> destination, SyncPlanOptions options)
    {
        var filter = new KeyFilter(options.Include, options.Exclude);
        var windows = options.WindowsNames ?? OperatingSystem.IsWindows();
        var dst = new Dictionary<string, SyncEntry>(StringComparer.Ordinal);
        foreach (var d in destination)
            if (!IsDirectoryMarker(d)) dst[d.Key] = d;

        var items = new List<SyncPlanItem>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in source)
        {
            if (IsDirectoryMarker(s) || !filter.Matches(s.Key) || !seen.Add(s.Key)) continue;
            dst.TryGetValue(s.Key, out var d);
            if (options.DestinationIsFolder && UnsafeKeyReason(s.Key, windows) is string reason)
            {
                items.Add(new SyncPlanItem(d is null ? SyncActionKind.Copy : SyncActionKind.Update, s.Key, s.Size, s, d, reason));
                continue;
            }
            if (d is null)
            {
                items.Add(new SyncPlanItem(SyncActionKind.Copy, s.Key, s.Size, s, null));
                continue;
            }
            items.Add(Decide(s, d, options.Mode) switch
            {
                SyncDecision.Same => new SyncPlanItem(SyncActionKind.Skip, s.Key, s.Size, s, d),
                SyncDecision.Differs => new SyncPlanItem(SyncActionKind.Update, s.Key, s.Size, s, d),
                _ => new SyncPlanItem(SyncActionKind.Skip, s.Key, s.Size, s, d, NeedsDetails: true),
            });
        }
        if (options.Delete)
        {
            foreach (var d in dst.Values)
                if (!seen.Contains(d.Key) && filter.Matches(d.Key))
                    items.Add(new SyncPlanItem(SyncActionKind.Delete, d.Key, d.Size, null, d));
        }
        items.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return items;
    }

    /// <summary>Re-decides an item once the executor has loaded the details it needed.</summary>
    public static SyncPlanItem Resolve(SyncPlanItem item, SyncEntry source, SyncEntry destination, SyncCompareMode mode)
    {
        var decision = Decide(source, destination, mode);
        // Details are loaded: what still cannot be told apart is treated as changed (copying is safe, skipping is not).
        return item with
        {
            Action = decision == SyncDecision.Same ? SyncActionKind.Skip : SyncActionKind.Update,
            Source = source, Destination = destination, NeedsDetails = false,
        };
    }

    /// <summary>Whether the destination entry already holds the source entry's content.</summary>
    public static SyncDecision Decide(SyncEntry source, SyncEntry destination, SyncCompareMode mode)
    {
        if (source.Size != destination.Size) return SyncDecision.Differs;
        switch (mode)
        {
            case SyncCompareMode.SizeOnly:
                return SyncDecision.Same;
            case SyncCompareMode.Checksum:
                if (source.Md5 is not null && destination.Md5 is not null)
                    return string.Equals(source.Md5, destination.Md5, StringComparison.OrdinalIgnoreCase) ? SyncDecision.Same : SyncDecision.Differs;
                return source.DetailsLoaded && destination.DetailsLoaded ? SyncDecision.Differs : SyncDecision.NeedsDetails;
        }
        // Default: both ETags plain MD5 (both sides S3; folder entries carry no MD5 in this mode).
        if (source.Md5 is not null && destination.Md5 is not null)
            return string.Equals(source.Md5, destination.Md5, StringComparison.OrdinalIgnoreCase) ? SyncDecision.Same : SyncDecision.Differs;
        if ((source.ModifiedUtc - destination.ModifiedUtc).Duration() <= SameTime) return SyncDecision.Same;
        if (destination.ModifiedIsWriteTime)
        {
            // The object was written after the source last changed (aws s3 sync's rule): no HEAD needed.
            if (destination.ModifiedUtc >= source.ModifiedUtc) return SyncDecision.Same;
            // LastModified has whole seconds: a change in the second after it was written needs the
            // kept time from the object's metadata to tell.
            if (source.ModifiedUtc < destination.ModifiedUtc + WriteTimePrecision && !destination.DetailsLoaded) return SyncDecision.NeedsDetails;
            return SyncDecision.Differs;
        }
        if (source.ModifiedIsWriteTime && !source.DetailsLoaded)
            // An S3 source keeps its original time in metadata, which a listing does not show.
            return SyncDecision.NeedsDetails;
        return SyncDecision.Differs;
    }

    /// <summary>Zero-byte keys ending in '/' are the folder placeholders some consoles create.</summary>
    public static bool IsDirectoryMarker(SyncEntry e) => e.Size == 0 && e.Key.EndsWith('/');

    private static readonly HashSet<string> WindowsReservedNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>
    /// Why a key cannot become a file under the destination folder, or null when it can. Refused on
    /// every platform (so one plan holds everywhere): empty, '.' or '..' segments, a leading '/',
    /// backslashes (a separator on Windows), drive letters, control characters, segments over 255
    /// bytes. With Windows rules also: &lt;&gt;:"|?*, trailing dots or spaces, reserved device names.
    /// </summary>
    public static string? UnsafeKeyReason(string key, bool windowsNames)
    {
        if (key.Length == 0) return "the key is empty";
        if (key[0] == '/') return "the key starts with '/', an absolute path";
        if (key.Length >= 2 && key[1] == ':' && char.IsAsciiLetter(key[0])) return "the key starts with a drive letter";
        if (key.Contains('\\')) return "the key contains '\\', a folder separator on Windows";
        foreach (var c in key)
            if (c < 0x20 || c == 0x7f) return "the key contains a control character";
        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0) return "the key has an empty path segment ('//' or a trailing '/')";
            if (segment is "." or "..") return $"the key has a '{segment}' segment, which leaves its folder";
            if (Encoding.UTF8.GetByteCount(segment) > 255) return "a path segment of the key is longer than 255 bytes";
            if (windowsNames)
            {
                var bad = segment.IndexOfAny(new[] { '<', '>', ':', '"', '|', '?', '*' });
                if (bad >= 0) return $"the key contains '{segment[bad]}', which Windows file names cannot hold";
                if (segment.EndsWith('.') || segment.EndsWith(' ')) return "a path segment of the key ends with a dot or space, which Windows drops";
                var stem = segment.Split('.')[0].TrimEnd(' ');
                if (WindowsReservedNames.Contains(stem)) return $"'{segment}' is a reserved device name on Windows";
            }
        }
        return null;
    }
}

/// <summary>Include/Exclude wildcards over relative keys.</summary>
public sealed class KeyFilter
{
    private readonly Regex[] _include;
    private readonly Regex[] _exclude;

    public KeyFilter(IEnumerable<string>? include, IEnumerable<string>? exclude)
    {
        _include = (include ?? Array.Empty<string>()).Where(p => !string.IsNullOrEmpty(p)).Select(ToRegex).ToArray();
        _exclude = (exclude ?? Array.Empty<string>()).Where(p => !string.IsNullOrEmpty(p)).Select(ToRegex).ToArray();
    }

    public bool Matches(string key) =>
        (_include.Length == 0 || _include.Any(r => r.IsMatch(key))) && !_exclude.Any(r => r.IsMatch(key));

    /// <summary>* any characters ('/' included), ? one character, [abc] / [a-z] a set, ` escapes (as in PowerShell).</summary>
    public static Regex ToRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '`' when i + 1 < pattern.Length:
                    sb.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '*': sb.Append(".*"); break;
                case '?': sb.Append('.'); break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0) { sb.Append(@"\["); break; }
                    var set = pattern.Substring(i + 1, end - i - 1);
                    sb.Append('[').Append(set.Replace(@"\", @"\\").Replace("^", @"\^").Replace("[", @"\[")).Append(']');
                    i = end;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }
}
