using System.Globalization;
using System.Text.RegularExpressions;

namespace ClutterDR.Common;

/// <summary>
/// Durations as admins write them. .NET parses "48:00:00" as 48 days (an hour field over 23 becomes
/// days), so "H:MM[:SS]" is read here as hours, minutes and seconds; "36h", "2d", "90m", "30s" and
/// "1d12h" work too; anything else is left to TimeSpan's own parsing.
/// </summary>
public static class Duration
{
    private static readonly Regex HoursMinutesSeconds = new(@"^\s*(\d+):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?\s*$", RegexOptions.CultureInvariant);
    private static readonly Regex Units = new(@"^\s*(?:(\d+(?:\.\d+)?)\s*d)?\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m)?\s*(?:(\d+(?:\.\d+)?)\s*s)?\s*$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    public static bool TryParse(string text, out TimeSpan span)
    {
        span = default;
        var m = HoursMinutesSeconds.Match(text);
        if (m.Success)
        {
            var minutes = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            var seconds = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
            if (minutes > 59 || seconds > 59) return false;
            span = TimeSpan.FromHours(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)) + TimeSpan.FromMinutes(minutes) + TimeSpan.FromSeconds(seconds);
            if (m.Groups[4].Success) span += TimeSpan.FromSeconds(double.Parse("0." + m.Groups[4].Value, CultureInfo.InvariantCulture));
            return true;
        }
        m = Units.Match(text);
        if (m.Success && text.Trim().Length > 0 && Enumerable.Range(1, 4).Any(i => m.Groups[i].Success))
        {
            double Part(int i) => m.Groups[i].Success ? double.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) : 0;
            span = TimeSpan.FromDays(Part(1)) + TimeSpan.FromHours(Part(2)) + TimeSpan.FromMinutes(Part(3)) + TimeSpan.FromSeconds(Part(4));
            return true;
        }
        return false;
    }
}
