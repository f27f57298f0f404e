namespace ClutterDR.Catalog;

/// <summary>How big a new dump is expected to be, from the previous backup's manifest or the tables' size: pure, for the progress bar's total.</summary>
public static class DumpSizeEstimate
{
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
}
