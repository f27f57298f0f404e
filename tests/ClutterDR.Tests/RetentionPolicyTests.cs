using System.Globalization;
using ClutterDR.Catalog;

namespace ClutterDR.Tests;

/// <summary>The retention policy (pure) on generated timelines: restic forget semantics, every reason, the safety floor.</summary>
public class RetentionPolicyTests
{
    private static DateTime T(string text) => DateTime.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    /// <summary>One backup a day at the given UTC time, from first to last (dates inclusive).</summary>
    private static List<RetentionCandidate> Daily(string first, string last, string time = "02:00:00")
    {
        var list = new List<RetentionCandidate>();
        for (var day = T(first + "T" + time + "Z"); day <= T(last + "T" + time + "Z"); day = day.AddDays(1))
            list.Add(new RetentionCandidate(day.ToString("s", CultureInfo.InvariantCulture), day));
        return list;
    }

    private static Dictionary<string, string[]> Kept(IReadOnlyList<RetentionVerdict> verdicts) =>
        verdicts.Where(v => v.Keep).ToDictionary(v => v.Candidate.CreatedUtc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture), v => v.Reasons.ToArray());

    [Fact]
    public void Daily7Weekly4Monthly3OverFourMonthsKeepsElevenWithTheirReasons()
    {
        var verdicts = new RetentionPolicy { KeepDaily = 7, KeepWeekly = 4, KeepMonthly = 3 }.Decide(Daily("2026-08-01", "2026-11-30"), T("2026-11-30T12:00:00Z"));
        Assert.Equal(122, verdicts.Count);
        var kept = Kept(verdicts);
        Assert.Equal(new[] { "2026-09-30", "2026-10-31", "2026-11-15", "2026-11-22", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30" },
            kept.Keys.Select(k => k[..10]).Order());
        Assert.Equal(new[] { "daily 2026-11-30", "weekly 2026-W49", "monthly 2026-11", "newest" }, kept["2026-11-30T02:00:00"]);
        Assert.Equal(new[] { "daily 2026-11-29", "weekly 2026-W48" }, kept["2026-11-29T02:00:00"]);
        Assert.Equal(new[] { "weekly 2026-W46" }, kept["2026-11-15T02:00:00"]);
        Assert.Equal(new[] { "monthly 2026-10" }, kept["2026-10-31T02:00:00"]);
        Assert.Equal(new[] { "monthly 2026-09" }, kept["2026-09-30T02:00:00"]);
        Assert.All(verdicts.Where(v => !v.Keep), v => Assert.Empty(v.Reasons));
    }

    [Fact]
    public void SeveralBackupsADayKeepTheNewestOfEachDay()
    {
        var backups = new List<RetentionCandidate>();
        foreach (var day in new[] { "2026-11-28", "2026-11-29", "2026-11-30" })
            foreach (var time in new[] { "00:00:00", "06:00:00", "12:00:00", "23:59:59" })
                backups.Add(new RetentionCandidate(day + time, T($"{day}T{time}Z")));
        var kept = Kept(new RetentionPolicy { KeepDaily = 2 }.Decide(backups, T("2026-12-01T00:00:00Z")));
        Assert.Equal(new[] { "2026-11-29T23:59:59", "2026-11-30T23:59:59" }, kept.Keys.Order());
        Assert.Equal(new[] { "daily 2026-11-29" }, kept["2026-11-29T23:59:59"]);
    }

    [Fact]
    public void AClockAtMidnightBelongsToTheDayItStartsAndWithinIsCountedFromNow()
    {
        var backups = new[] { T("2026-11-29T23:59:59Z"), T("2026-11-30T00:00:00Z"), T("2026-11-30T00:00:01Z") }
            .Select(t => new RetentionCandidate(t.ToString("O"), t)).ToList();
        var daily = Kept(new RetentionPolicy { KeepDaily = 2 }.Decide(backups, T("2026-12-01T00:00:00Z")));
        Assert.Equal(new[] { "2026-11-29T23:59:59", "2026-11-30T00:00:01" }, daily.Keys.Order());
        // Exactly one day old at 00:00:00Z is not younger than one day.
        var within = Kept(new RetentionPolicy { KeepWithin = TimeSpan.FromDays(1) }.Decide(backups, T("2026-12-01T00:00:00Z")));
        Assert.Equal(new[] { "within 1.00:00:00", "newest" }, Assert.Single(within).Value);
        var within90 = Kept(new RetentionPolicy { KeepWithin = TimeSpan.FromDays(90) }.Decide(Daily("2026-08-01", "2026-11-30", "00:00:00"), T("2026-12-01T00:00:00Z")));
        Assert.Equal(89, within90.Count); // 2026-09-03 .. 2026-11-30; 2026-09-02T00:00:00Z is exactly 90 days old
        Assert.Equal("2026-09-03T00:00:00", within90.Keys.Min());
        Assert.Equal(new[] { "within 90.00:00:00" }, within90["2026-10-01T00:00:00"]);
    }

    [Fact]
    public void MonthAndYearBoundaries()
    {
        var backups = Daily("2024-01-01", "2026-01-02");
        var kept = Kept(new RetentionPolicy { KeepMonthly = 3, KeepYearly = 3 }.Decide(backups, T("2026-01-02T12:00:00Z")));
        Assert.Equal(new[] { "2024-12-31", "2025-11-30", "2025-12-31", "2026-01-02" }, kept.Keys.Select(k => k[..10]).Order());
        Assert.Equal(new[] { "monthly 2025-12", "yearly 2025" }, kept["2025-12-31T02:00:00"]);
        Assert.Equal(new[] { "yearly 2024" }, kept["2024-12-31T02:00:00"]);
        Assert.Equal(new[] { "monthly 2025-11" }, kept["2025-11-30T02:00:00"]);
    }

    [Fact]
    public void TheLeapDayIsADayAndTheLastOfFebruary()
    {
        var kept = Kept(new RetentionPolicy { KeepDaily = 3, KeepMonthly = 2 }.Decide(Daily("2028-02-20", "2028-03-01"), T("2028-03-01T12:00:00Z")));
        Assert.Equal(new[] { "2028-02-28", "2028-02-29", "2028-03-01" }, kept.Keys.Select(k => k[..10]).Order());
        Assert.Equal(new[] { "daily 2028-02-29", "monthly 2028-02" }, kept["2028-02-29T02:00:00"]);
    }

    [Fact]
    public void IsoWeek53SpansTheYearBoundary()
    {
        var kept = Kept(new RetentionPolicy { KeepWeekly = 3 }.Decide(Daily("2026-12-20", "2027-01-12"), T("2027-01-12T12:00:00Z")));
        Assert.Equal(new[] { "2027-01-03", "2027-01-10", "2027-01-12" }, kept.Keys.Select(k => k[..10]).Order());
        Assert.Equal(new[] { "weekly 2026-W53" }, kept["2027-01-03T02:00:00"]); // Sunday 3 January 2027 is in 2026's week 53
        Assert.Equal(new[] { "weekly 2027-W01" }, kept["2027-01-10T02:00:00"]);
        Assert.Equal(new[] { "weekly 2027-W02", "newest" }, kept["2027-01-12T02:00:00"]);
    }

    [Fact]
    public void PeriodsWithoutABackupDoNotCount()
    {
        var backups = new[] { "2026-03-02", "2026-03-30", "2026-05-11", "2026-05-18", "2026-05-24" }
            .Select(d => new RetentionCandidate(d, T(d + "T02:00:00Z"))).ToList();
        var kept = Kept(new RetentionPolicy { KeepWeekly = 3 }.Decide(backups, T("2026-11-30T00:00:00Z")));
        // Weeks 21, 20 and 14 have backups; the empty weeks between them are skipped, week 10 is the fourth.
        Assert.Equal(new[] { "2026-03-30", "2026-05-11", "2026-05-24" }, kept.Keys.Select(k => k[..10]).Order());
        Assert.Equal(new[] { "weekly 2026-W14" }, kept["2026-03-30T02:00:00"]);
    }

    [Fact]
    public void KeepLastKeepsTheNewestN()
    {
        var verdicts = new RetentionPolicy { KeepLast = 3 }.Decide(Daily("2026-11-01", "2026-11-10"), T("2026-11-30T00:00:00Z"));
        Assert.Equal(new[] { true, true, true, false }, verdicts.Take(4).Select(v => v.Keep));
        Assert.Equal(new[] { "last 3" }, verdicts[2].Reasons);
        Assert.Equal(new[] { "last 3", "newest" }, verdicts[0].Reasons);
    }

    [Fact]
    public void TheFloorHoldsWhenEveryRuleHasExpired()
    {
        var backups = Daily("2025-01-01", "2025-01-10");
        backups[3] = backups[3] with { Pinned = true };
        backups[5] = backups[5] with { DrillRunning = true };
        backups[6] = backups[6] with { LockedUntilUtc = T("2027-01-01T00:00:00Z") };
        backups[7] = backups[7] with { LockedUntilUtc = T("2026-01-01T00:00:00Z") }; // its lock has ended
        var kept = Kept(new RetentionPolicy { KeepWithin = TimeSpan.FromDays(90) }.Decide(backups, T("2026-11-30T00:00:00Z")));
        Assert.Equal(4, kept.Count);
        Assert.Equal(new[] { "newest" }, kept["2025-01-10T02:00:00"]);
        Assert.Equal(new[] { "pinned" }, kept["2025-01-04T02:00:00"]);
        Assert.Equal(new[] { "drill running" }, kept["2025-01-06T02:00:00"]);
        Assert.Equal(new[] { "locked until 2027-01-01 00:00:00Z" }, kept["2025-01-07T02:00:00"]);
        Assert.Empty(new RetentionPolicy { KeepLast = 1 }.Decide(Array.Empty<RetentionCandidate>(), DateTime.UtcNow));
    }

    [Fact]
    public void APolicyWithoutARuleKeepsNothing()
    {
        Assert.True(new RetentionPolicy().KeepsNothing);
        Assert.True(new RetentionPolicy { KeepDaily = 0, KeepWithin = TimeSpan.Zero }.KeepsNothing);
        Assert.False(new RetentionPolicy { KeepYearly = 1 }.KeepsNothing);
        Assert.False(new RetentionPolicy { KeepWithin = TimeSpan.FromDays(90) }.KeepsNothing);
        Assert.Equal("daily 7, weekly 4, monthly 3", new RetentionPolicy { KeepDaily = 7, KeepWeekly = 4, KeepMonthly = 3 }.ToString());
    }
}
