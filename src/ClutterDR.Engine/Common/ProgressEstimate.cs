using ClutterDR.Catalog;

namespace ClutterDR.Common;

/// <summary>
/// The arithmetic behind a progress bar that tells the truth: where a total comes from, what it becomes once
/// the work has passed it, and the time left. Pure, so that it is tested without a stopwatch.
/// </summary>
public static class ProgressEstimate
{
    /// <summary>How far beyond the bytes done a passed estimate is moved: 10% more.</summary>
    public const double Headroom = 1.1;

    /// <summary>
    /// The expected size of a dump: the raw size of the previous backup of the same database and selection
    /// when there is one (a dump is text: numbers and arrays come out 2-3 times their size on disk), else the
    /// tables' size on disk (heap + TOAST, no indexes), else unknown.
    /// </summary>
    public static long? ForDump(long? previousRawBytes, long tableBytes) =>
        previousRawBytes is long p && p > 0 ? p : tableBytes > 0 ? tableBytes : null;

    /// <summary>
    /// Whether a previous backup's raw size predicts this one's: same database, same format, same tables.
    /// A backup of other tables, or a plain dump against a custom one, is a different size.
    /// </summary>
    public static bool IsComparable(BackupManifest previous, string database, DumpFormat format, IEnumerable<(string Schema, string Name)> tables)
    {
        if (!string.Equals(previous.Database, database, StringComparison.Ordinal) || previous.Format != format || previous.RawBytes <= 0) return false;
        var before = previous.Tables.Select(t => (t.Schema, t.Name)).ToHashSet();
        var now = tables.ToHashSet();
        return before.SetEquals(now);
    }

    /// <summary>
    /// The total to show once <paramref name="done"/> is known: the estimate while it holds; once passed,
    /// done plus 10%, so the bar moves back from 100% and the time left stays an estimate, not a frozen number.
    /// </summary>
    public static long? Total(long done, long? total) =>
        total is long t && t > 0 && done > t ? (long)Math.Ceiling(done * Headroom) : total;

    /// <summary>The time left at the current rate, or null when there is no rate or no total ahead.</summary>
    public static TimeSpan? Remaining(long done, long? total, double? ratePerSecond) =>
        ratePerSecond is double r && r > 0 && total is long t && t > done ? TimeSpan.FromSeconds((t - done) / r) : null;
}
