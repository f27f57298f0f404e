
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
    /// The total to show once <paramref name="done"/> is known: the estimate while it holds; once passed,
    /// done plus 10%, so the bar moves back from 100% and the time left stays an estimate, not a frozen number.
    /// </summary>
    public static long? Total(long done, long? total) =>
        total is long t && t > 0 && done > t ? (long)Math.Ceiling(done * Headroom) : total;

    /// <summary>The time left at the current rate, or null when there is no rate or no total ahead.</summary>
    public static TimeSpan? Remaining(long done, long? total, double? ratePerSecond) =>
        ratePerSecond is double r && r > 0 && total is long t && t > done ? TimeSpan.FromSeconds((t - done) / r) : null;
}
