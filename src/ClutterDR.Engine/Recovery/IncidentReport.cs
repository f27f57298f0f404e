using System.Text;

namespace ClutterDR.Recovery;

/// <summary>What New-ClutterIncidentReport is given: the words of a person and the objects the other cmdlets made.</summary>
public sealed class IncidentReportInput
{
    public string Title { get; init; } = "";
    /// <summary>When the incident was detected (UTC): the start of the downtime and the end of the data-loss window.</summary>
    public DateTime? DetectedUtc { get; init; }
    public string? Summary { get; init; }
    /// <summary>DrillResult, RecoveryCheck, RestoreResult and BackupInfo objects, in any order.</summary>
    public IReadOnlyList<object> Items { get; init; } = [];
    public DateTime GeneratedUtc { get; init; } = DateTime.UtcNow;
}

/// <summary>
/// The guide's post-incident review (backup-guide.md, "Post-Incident Review Template") as markdown, filled from the
/// objects' own timestamps: Summary, Timeline, Root Cause, Resolution, Impact (the measured downtime and the data-loss
/// window, the restored backup's age at detection), Lessons Learned and one action item per failed check. Pure: the
/// same input gives the same text. Writes what the objects carry (locations, host:port, table names), never a
/// connection string.
/// </summary>
public static class IncidentReport
{
    private const string ToWrite = "_To be written._";

    public static string Build(IncidentReportInput input)
    {
        var drills = input.Items.OfType<DrillResult>().OrderBy(d => d.StartedUtc).ToList();
        var checks = input.Items.OfType<RecoveryCheck>().OrderBy(c => c.CheckedUtc).ThenBy(c => c.Step).ToList();
        var restores = input.Items.OfType<RestoreResult>().OrderBy(r => r.FinishedUtc).ToList();
        var backups = input.Items.OfType<BackupInfo>().OrderBy(b => b.CreatedUtc).ToList();
        var md = new StringBuilder();
        var date = (input.DetectedUtc ?? Timeline(input, drills, checks, restores, backups).Select(e => (DateTime?)e.Utc).FirstOrDefault() ?? input.GeneratedUtc).ToString("yyyy-MM-dd", Inv);
        md.Append("# Incident Report: ").Append(date).Append(" - ").AppendLine(Line(input.Title.Length > 0 ? input.Title : "Untitled incident")).AppendLine();

        md.AppendLine("## Summary").AppendLine(string.IsNullOrWhiteSpace(input.Summary) ? ToWrite : input.Summary.Trim()).AppendLine();

        md.AppendLine("## Timeline");
        var events = Timeline(input, drills, checks, restores, backups);
        if (events.Count == 0) md.AppendLine("- No timestamps among the inputs: give -DetectedAt and pipe the objects of the recovery.");
        foreach (var (utc, text) in events) md.Append("- **").Append(Stamp(utc)).Append("** - ").AppendLine(Line(text));
        md.AppendLine();

        md.AppendLine("## Root Cause").AppendLine(ToWrite).AppendLine();

        md.AppendLine("## Resolution");
        var steps = restores.Select(r => $"Restored database `{r.Database}` from `{r.Backup}` (backup of {Stamp(r.BackupCreatedUtc)}) in {Format.Duration(r.Duration)}; {(r.Verified ? "every table's row count verified" : "the verification found differences (see Action Items)")}.")
            .Concat(drills.Select(d => $"Restore drill of `{d.Database}` into `{d.ScratchDatabase}` on {d.Server}: {d.Status}, restored in {Format.Duration(d.RestoreDuration)} from a backup {Format.Duration(d.BackupAge)} old."))
            .Concat(checks.Count == 0 ? [] : [$"Recovery checklist: {Count(checks, RecoveryCheckStatus.Passed)} passed, {Count(checks, RecoveryCheckStatus.Failed)} failed, {Count(checks, RecoveryCheckStatus.Skipped)} skipped, {Count(checks, RecoveryCheckStatus.Manual)} to confirm by hand."])
            .ToList();
        if (steps.Count == 0) md.AppendLine(ToWrite);
        foreach (var s in steps) md.Append("- ").AppendLine(Line(s));
        md.AppendLine();

        md.AppendLine("## Impact").AppendLine("- Users affected: _to be filled in_");
        md.Append("- Downtime duration: ").AppendLine(Downtime(input.DetectedUtc, checks, restores));
        md.Append("- Data loss: ").AppendLine(DataLoss(input.DetectedUtc, restores, backups, drills));
        md.AppendLine();

        md.AppendLine("## Lessons Learned").AppendLine("- What went well? _to be written_").AppendLine("- What could be improved? _to be written_")
            .AppendLine("- Action items for prevention: _to be written_").AppendLine();

        md.AppendLine("## Action Items");
        var actions = ActionItems(drills, checks, restores).ToList();
        if (actions.Count == 0) md.AppendLine("None from the checks: every check and drill among the inputs passed.");
        foreach (var a in actions) md.Append("- [ ] ").AppendLine(Line(a));

        var manual = checks.Where(c => c.Status == RecoveryCheckStatus.Manual).ToList();
        if (manual.Count > 0)
        {
            md.AppendLine().AppendLine("## To Confirm by Hand");
            foreach (var c in manual) md.Append("- [ ] ").Append(c.Step).Append(". ").Append(Line(c.Check)).Append(c.Detail.Length > 0 ? ": " + Line(c.Detail) : "").AppendLine();
        }
        if (checks.Count > 0)
        {
            md.AppendLine().AppendLine("## Recovery Checklist").AppendLine("| # | Check | Target | Status | Detail |").AppendLine("|---|---|---|---|---|");
            foreach (var c in checks.OrderBy(c => c.Step).ThenBy(c => c.CheckedUtc))
                md.Append("| ").Append(c.Step).Append(" | ").Append(Cell(c.Check)).Append(" | ").Append(Cell(c.Target)).Append(" | ").Append(c.Status)
                  .Append(" | ").Append(Cell(c.Detail)).AppendLine(" |");
        }
        md.AppendLine().Append("_Generated by New-ClutterIncidentReport at ").Append(Stamp(input.GeneratedUtc)).AppendLine(" from the objects of the recovery; times are UTC._");
        return md.ToString();
    }

    /// <summary>One action item per failure: each failed check, each reason a drill failed, each table a restore could not verify.</summary>
    public static IEnumerable<string> ActionItems(IEnumerable<DrillResult> drills, IEnumerable<RecoveryCheck> checks, IEnumerable<RestoreResult> restores)
    {
        foreach (var d in drills.Where(d => !d.Passed))
        {
            var reasons = d.Failures.Length > 0 ? d.Failures : DrillReasons(d).DefaultIfEmpty($"the drill ended {d.Status}").ToArray();
            foreach (var reason in reasons) yield return $"Drill of `{d.Database}` (`{d.Backup}`): {reason}";
        }
        foreach (var c in checks.Where(c => c.Status == RecoveryCheckStatus.Failed))
            yield return $"Item {c.Step}, {c.Check}{(c.Target.Length > 0 ? $" (`{c.Target}`)" : "")}: {c.Detail}";
        foreach (var r in restores.Where(r => !r.Verified))
        {
            var bad = r.Tables.Where(t => !t.Matches).ToList();
            if (bad.Count == 0) yield return $"Restore of `{r.Database}` from `{r.Backup}`: not verified";
            foreach (var t in bad) yield return $"Restore of `{r.Database}` from `{r.Backup}`: {t}";
        }
    }

    /// <summary>A failed drill's reasons from its fields, when it carries no Failures lines.</summary>
    private static IEnumerable<string> DrillReasons(DrillResult d)
    {
        foreach (var t in d.Tables.Where(t => !t.Ok)) yield return $"table {t}";
        if (d.IntegrityCheck == "Failed") yield return $"integrity check failed{(d.IntegrityDetail is { Length: > 0 } x ? ": " + x : "")}";
        foreach (var x in d.Extensions.Concat(d.Queries).Where(x => !x.Passed)) yield return x.ToString();
        if (d.RtoMet == false) yield return $"RTO objective {Format.Duration(d.RtoObjective ?? TimeSpan.Zero)} missed: restored in {Format.Duration(d.RestoreDuration)}";
        if (d.RpoMet == false) yield return $"RPO objective {Format.Duration(d.RpoObjective ?? TimeSpan.Zero)} missed: the backup was {Format.Duration(d.BackupAge)} old";
    }

    private static List<(DateTime Utc, string Text)> Timeline(IncidentReportInput input, List<DrillResult> drills, List<RecoveryCheck> checks, List<RestoreResult> restores, List<BackupInfo> backups)
    {
        var events = new List<(DateTime, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(DateTime utc, string text) { if (utc != default && seen.Add(Stamp(utc) + text)) events.Add((utc.ToUniversalTime(), text)); }
        foreach (var b in backups) Add(b.CreatedUtc, $"Backup of `{b.Database}` taken (`{b.Location}`)");
        foreach (var r in restores) Add(r.BackupCreatedUtc, $"Backup of `{r.Database}` taken (`{r.Backup}`)");
        if (input.DetectedUtc is DateTime detected) Add(detected, "Incident detected");
        foreach (var r in restores.Where(r => r.FinishedUtc != default))
        {
            Add(r.FinishedUtc - r.Duration, $"Restore of `{r.Database}` started");
            Add(r.FinishedUtc, $"Restore of `{r.Database}` completed in {Format.Duration(r.Duration)}{(r.Verified ? ", verified" : ", NOT verified")}");
        }
        foreach (var d in drills)
        {
            Add(d.StartedUtc, $"Restore drill of `{d.Database}` started");
            Add(d.FinishedUtc, $"Restore drill of `{d.Database}` {d.Status.ToLowerInvariant()} (RTO {Format.Duration(d.RestoreDuration)}, RPO {Format.Duration(d.BackupAge)})");
        }
        if (checks.Count > 0)
        {
            foreach (var c in checks.Where(c => c.Status == RecoveryCheckStatus.Failed)) Add(c.CheckedUtc, $"Check failed: {c.Step}. {c.Check} (`{c.Target}`)");
            var failed = Count(checks, RecoveryCheckStatus.Failed);
            Add(checks[^1].CheckedUtc, failed == 0 ? "Recovery checklist passed: service restored" : $"Recovery checklist finished with {failed} failed check(s)");
        }
        return events.OrderBy(e => e.Item1).ToList();
    }

    private static string Downtime(DateTime? detected, List<RecoveryCheck> checks, List<RestoreResult> restores)
    {
        if (detected is not DateTime from) return "not measured: give -DetectedAt (when the incident was detected)";
        var checklistPassed = checks.Count > 0 && Count(checks, RecoveryCheckStatus.Failed) == 0;
        if (checks.Count > 0 && !checklistPassed)
            return $"not over: {Count(checks, RecoveryCheckStatus.Failed)} recovery check(s) failed at {Stamp(checks[^1].CheckedUtc)}, {Format.Duration(checks[^1].CheckedUtc - from)} after detection";
        var (until, what) = checklistPassed ? (checks[^1].CheckedUtc, "the recovery checklist passing")
            : restores.Where(r => r.FinishedUtc != default).Select(r => (r.FinishedUtc, "the restore completing")).LastOrDefault();
        if (until == default) return "not measured: pipe the RestoreResult or the RecoveryCheck objects of the recovery";
        var restoreTime = restores.Count > 0 ? $"; the database restore itself took {Format.Duration(restores[^1].Duration)}" : "";
        return $"{Format.Duration(until - from)} (measured from detection at {Stamp(from)} to {what} at {Stamp(until)}{restoreTime})";
    }

    private static string DataLoss(DateTime? detected, List<RestoreResult> restores, List<BackupInfo> backups, List<DrillResult> drills)
    {
        var (taken, which) = restores.Count > 0 ? (restores[^1].BackupCreatedUtc, $"`{restores[^1].Backup}`")
            : backups.Count > 0 ? (backups[^1].CreatedUtc, $"`{backups[^1].Location}`") : (default, "");
        if (taken == default)
            return drills.Count > 0
                ? $"not measured: no restore among the inputs (the drill's achieved RPO was {Format.Duration(drills[^1].BackupAge)})"
                : "not measured: pipe the RestoreResult (or the BackupInfo) of the backup that was restored";
        var end = detected ?? restores.Where(r => r.FinishedUtc != default).Select(r => r.FinishedUtc - r.Duration).LastOrDefault();
        if (end == default) return $"up to everything written after the restored backup of {Stamp(taken)} ({which}); give -DetectedAt to measure the window";
        return $"Yes, a window of up to {Format.Duration(end - taken)}: changes between the restored backup of {Stamp(taken)} ({which}) and {(detected is null ? "the restore" : "the incident")} at {Stamp(end)} are not in the restored database";
    }

    private static int Count(List<RecoveryCheck> checks, RecoveryCheckStatus status) => checks.Count(c => c.Status == status);
    private static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;
    internal static string Stamp(DateTime utc) => RecoveryService.Stamp(utc);
    /// <summary>One line of markdown: no line breaks inside an item.</summary>
    private static string Line(string text) => text.ReplaceLineEndings(" ").Trim();
    private static string Cell(string text) => Line(text).Replace("|", "\\|", StringComparison.Ordinal);
}
