using System.Globalization;

namespace ClutterDR.Common;

/// <summary>Human-readable sizes and durations for messages and progress.</summary>
public static class Format
{
    public static string Bytes(long bytes)
    {
        string[] units = { "B", "KB", "MB", "GB", "TB", "PB" };
        double v = bytes;
        var u = 0;
        while (Math.Abs(v) >= 1000 && u < units.Length - 1) { v /= 1000; u++; }
        return u == 0 ? $"{bytes} B" : v.ToString(v >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + units[u];
    }

    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero) return "-" + Duration(span.Negate());
        if (span.TotalDays >= 1) return $"{(int)span.TotalDays}d {span.Hours}h";
        if (span.TotalHours >= 1) return $"{(int)span.TotalHours}h {span.Minutes}m";
        if (span.TotalMinutes >= 1) return $"{(int)span.TotalMinutes}m {span.Seconds}s";
        return $"{span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s";
    }
}
