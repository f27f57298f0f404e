using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ClutterDR.Plan;

/// <summary>
/// The plan log's one line format: ISO-8601 UTC timestamp, job/step, event, text, and the ErrorId in brackets:
/// "2026-12-01T02:00:03.412Z daily-database/backup failed [PgDumpFailed] pg_dump exited with code 1: ...".
/// No ANSI escape, no control character, no line break: a message always stays one line.
/// </summary>
public static partial class PlanLogLine
{
    [GeneratedRegex(@"\x1B(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1B]*(\x07|\x1B\\)|[@-Z\\-_])")]
    private static partial Regex Ansi();

    public static string Format(DateTime utc, string job, string? step, string evt, string text, string? errorId = null)
    {
        var sb = new StringBuilder();
        sb.Append(utc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
          .Append(' ').Append(job).Append('/').Append(string.IsNullOrEmpty(step) ? "-" : step)
          .Append(' ').Append(evt);
        if (!string.IsNullOrEmpty(errorId)) sb.Append(" [").Append(errorId).Append(']');
        var clean = Clean(text);
        if (clean.Length > 0) sb.Append(' ').Append(clean);
        return sb.ToString();
    }

    /// <summary>One line of plain text: escape sequences gone, line breaks and other control characters as spaces, runs of spaces as one.</summary>
    public static string Clean(string text)
    {
        var noAnsi = Ansi().Replace(text ?? "", "");
        var sb = new StringBuilder(noAnsi.Length);
        foreach (var c in noAnsi)
        {
            var ch = char.IsControl(c) ? ' ' : c;
            if (ch == ' ' && (sb.Length == 0 || sb[^1] == ' ')) continue;
            sb.Append(ch);
        }
        return sb.ToString().TrimEnd();
    }
}
