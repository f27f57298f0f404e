using System.Globalization;

namespace ClutterDR.Catalog;

/// <summary>One backup as retention sees it: when it was made and what protects it regardless of the rules.</summary>
public sealed record RetentionCandidate(string Id, DateTime CreatedUtc, bool Pinned = false, bool DrillRunning = false, DateTime? LockedUntilUtc = null);

/// <summary>What the policy decided for one backup: kept or not, and every reason that keeps it.</summary>
public sealed record RetentionVerdict(RetentionCandidate Candidate, bool Keep, IReadOnlyList<string> Reasons);

/// <summary>
/// Which backups of ONE database a policy keeps, with restic <c>forget</c> semantics (pure, no I/O): KeepLast the
/// newest N; KeepDaily/Weekly/Monthly/Yearly the newest backup of each of the last N UTC days / ISO-8601 weeks /
/// months / years that have a backup; KeepWithin every backup younger than the span, counted from a given now. A
/// backup kept by any rule stays. The safety floor keeps, whatever the rules: the newest backup, a pinned one, one
/// a running drill restores, one under S3 Object Lock.
/// </summary>
public sealed record RetentionPolicy
{
    public int KeepLast { get; init; }
    public int KeepDaily { get; init; }
    public int KeepWeekly { get; init; }
    public int KeepMonthly { get; init; }
    public int KeepYearly { get; init; }
    public TimeSpan? KeepWithin { get; init; }

    /// <summary>True when no rule keeps anything (none given, or all zero): such a policy would delete all but the floor.</summary>
    public bool KeepsNothing =>
        KeepLast <= 0 && KeepDaily <= 0 && KeepWeekly <= 0 && KeepMonthly <= 0 && KeepYearly <= 0 && KeepWithin is not { Ticks: > 0 };

    /// <summary>The rules as text, for messages: "daily 7, weekly 4, monthly 3".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (KeepLast > 0) parts.Add($"last {KeepLast}");
        if (KeepDaily > 0) parts.Add($"daily {KeepDaily}");
        if (KeepWeekly > 0) parts.Add($"weekly {KeepWeekly}");
        if (KeepMonthly > 0) parts.Add($"monthly {KeepMonthly}");
        if (KeepYearly > 0) parts.Add($"yearly {KeepYearly}");
        if (KeepWithin is { Ticks: > 0 } w) parts.Add($"within {Within(w)}");
        return parts.Count == 0 ? "nothing" : string.Join(", ", parts);
    }

    /// <summary>A verdict for every candidate (newest first), each kept one with all its reasons.</summary>
    public IReadOnlyList<RetentionVerdict> Decide(IEnumerable<RetentionCandidate> backups, DateTime nowUtc)
    {
        var sorted = backups.OrderByDescending(b => b.CreatedUtc).ThenByDescending(b => b.Id, StringComparer.Ordinal).ToList();
        var reasons = sorted.Select(_ => new List<string>()).ToArray();

        if (KeepLast > 0)
            for (var i = 0; i < sorted.Count && i < KeepLast; i++) reasons[i].Add($"last {KeepLast}");
        Bucket(sorted, reasons, KeepDaily, t => $"daily {t:yyyy-MM-dd}");
        Bucket(sorted, reasons, KeepWeekly, t => $"weekly {ISOWeek.GetYear(t):D4}-W{ISOWeek.GetWeekOfYear(t):D2}");
        Bucket(sorted, reasons, KeepMonthly, t => $"monthly {t:yyyy-MM}");
        Bucket(sorted, reasons, KeepYearly, t => $"yearly {t:yyyy}");
        if (KeepWithin is { Ticks: > 0 } within)
            for (var i = 0; i < sorted.Count; i++)
                if (nowUtc - sorted[i].CreatedUtc < within) reasons[i].Add($"within {Within(within)}");

        for (var i = 0; i < sorted.Count; i++)
        {
            var b = sorted[i];
            if (i == 0) reasons[i].Add("newest");
            if (b.Pinned) reasons[i].Add("pinned");
            if (b.DrillRunning) reasons[i].Add("drill running");
            if (b.LockedUntilUtc is DateTime until && until > nowUtc)
                reasons[i].Add($"locked until {until.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z");
        }
        return sorted.Select((b, i) => new RetentionVerdict(b, reasons[i].Count > 0, reasons[i])).ToList();
    }

    /// <summary>Walks newest first: the first backup of each new period keeps it, until count periods are kept.</summary>
    private static void Bucket(List<RetentionCandidate> sorted, List<string>[] reasons, int count, Func<DateTime, string> period)
    {
        string? last = null;
        for (var i = 0; i < sorted.Count && count > 0; i++)
        {
            var p = period(DateTime.SpecifyKind(sorted[i].CreatedUtc, DateTimeKind.Utc));
            if (p == last) continue;
            reasons[i].Add(p);
            last = p;
            count--;
        }
    }

    private static string Within(TimeSpan span) => span.ToString("c", CultureInfo.InvariantCulture);
}
