namespace ClutterDR.Storage;

/// <summary>S3's key order: the keys' UTF-8 bytes compared one by one (UTF-16 ordinal order differs above U+D7FF).</summary>
public sealed class Utf8Order : IComparer<string>
{
    public static readonly Utf8Order Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null) return x is null ? (y is null ? 0 : -1) : 1;
        var n = Math.Min(x.Length, y.Length);
        for (var i = 0; i < n; i++)
        {
            var a = x[i];
            var b = y[i];
            if (a == b) continue;
            // Surrogates (U+D800-DFFF) encode code points above U+FFFF, which sort after U+E000-FFFF in UTF-8.
            var sa = char.IsSurrogate(a);
            var sb = char.IsSurrogate(b);
            if (sa != sb && a >= 0xD800 && b >= 0xD800) return sa ? 1 : -1;
            return a.CompareTo(b);
        }
        return x.Length.CompareTo(y.Length);
    }
}
