using System.Text.RegularExpressions;
using ClutterDR.Recovery;

namespace ClutterDR.Tests;

/// <summary>
/// The incident report's markdown (pure) from objects built here as the cmdlets would make them, and its atomic
/// write to a real folder: the guide's sections, a timeline from the objects' timestamps, the measured downtime and
/// data-loss window, one action item per failure, no overwrite without force.
/// </summary>
public class IncidentReportTests
{
    private static readonly DateTime Detected = new(2026, 11, 30, 10, 0, 0, DateTimeKind.Utc);

    private static DrillResult FailedDrill() => new()
    {
        Backup = "s3://backups/db/clutter/clutter_20261130T020000Z.dump.zst", Database = "clutter", ScratchDatabase = "clutterdr_drill_clutter_20261130T110000Z",
        Server = "127.0.0.1:5432", BackupCreatedUtc = Detected.AddHours(-8), RestoreDuration = TimeSpan.FromMinutes(7), BackupAge = TimeSpan.FromHours(9),
        RpoObjective = TimeSpan.FromHours(24), RpoMet = true, Status = "Failed", IntegrityCheck = "Failed",
        Failures = ["row count of public.users: expected 12, actual 11", "pg_amcheck: index public.users_pkey is corrupt"],
        StartedUtc = Detected.AddHours(1), FinishedUtc = Detected.AddHours(1).AddMinutes(8),
    };

    private static RecoveryCheck Check(int step, RecoveryCheckStatus status, string target, string detail, int minutes) => new()
    {
        Step = step, Check = RecoveryChecklist.Title(step), Status = status, Target = target, Detail = detail, CheckedUtc = Detected.AddMinutes(minutes),
    };

    private static RestoreResult Restore() => new()
    {
        Database = "clutter", Backup = "s3://backups/db/clutter/clutter_20261130T020000Z.dump.zst", BackupCreatedUtc = Detected.AddHours(-8),
        Duration = TimeSpan.FromMinutes(20), FinishedUtc = Detected.AddMinutes(50), Verified = true,
    };

    private static List<string> Sections(string md) => Regex.Matches(md, "^## (.+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value.TrimEnd('\r')).ToList();
    private static List<string> ActionItems(string md) =>
        Regex.Match(md, @"^## Action Items\n(.*?)(?=^## |^_Generated)", RegexOptions.Multiline | RegexOptions.Singleline).Groups[1].Value
            .Split('\n').Where(l => l.StartsWith("- [ ] ", StringComparison.Ordinal)).ToList();

    [Fact]
    public void AFailedDrillGivesTheGuidesSectionsAndOneActionItemPerFailure()
    {
        var md = IncidentReport.Build(new IncidentReportInput { Title = "Monthly drill failed", Items = [FailedDrill()], GeneratedUtc = Detected.AddDays(1) });
        Assert.StartsWith("# Incident Report: 2026-11-30 - Monthly drill failed\n", md);  // the drill's own date: no -DetectedAt
        Assert.Equal(new[] { "Summary", "Timeline", "Root Cause", "Resolution", "Impact", "Lessons Learned", "Action Items" }, Sections(md));
        var actions = ActionItems(md);
        Assert.Equal(2, actions.Count);
        Assert.Contains("expected 12, actual 11", actions[0]);
        Assert.Contains("users_pkey is corrupt", actions[1]);
        Assert.Contains("- **2026-11-30 11:00:00Z** - Restore drill of `clutter` started", md);
        Assert.Contains("- **2026-11-30 11:08:00Z** - Restore drill of `clutter` failed (RTO 7m 0s, RPO 9h 0m)", md);
        Assert.Contains("Downtime duration: not measured: give -DetectedAt", md);
        Assert.Contains("the drill's achieved RPO was 9h 0m", md);
    }

    [Fact]
    public void AFailedDrillWithoutFailureLinesGetsItsReasonsFromItsFields()
    {
        var drill = new DrillResult
        {
            Database = "clutter", Backup = "b", Status = "Failed", RpoObjective = TimeSpan.FromHours(1), RpoMet = false, BackupAge = TimeSpan.FromHours(5),
            Tables = [new DrillTable { Schema = "public", Name = "users", ExpectedRows = 12, ActualRows = 11, Ok = false }, new DrillTable { Schema = "public", Name = "ok", Ok = true }],
            Extensions = [new DrillCheck { Name = "vector", Passed = false, Detail = "missing" }, new DrillCheck { Name = "pg_trgm", Passed = true }],
            StartedUtc = Detected, FinishedUtc = Detected.AddMinutes(1),
        };
        var actions = IncidentReport.ActionItems([drill], [], []).ToList();
        Assert.Equal(3, actions.Count);
        Assert.Contains("public.users: expected 12, actual 11", actions[0]);
        Assert.Contains("vector: failed (missing)", actions[1]);
        Assert.Contains("RPO objective 1h 0m missed: the backup was 5h 0m old", actions[2]);
        Assert.Empty(IncidentReport.ActionItems([new DrillResult { Status = "Passed" }], [], []));
    }

    [Fact]
    public void ARealRecoveryMeasuresDowntimeAndTheDataLossWindow()
    {
        var checks = new[]
        {
            Check(1, RecoveryCheckStatus.Passed, "db:5432/clutter", "Connected", 55),
            Check(4, RecoveryCheckStatus.Passed, "s3://media", "Listed", 56),
            Check(12, RecoveryCheckStatus.Manual, "", "Tell the users", 57),
        };
        var md = IncidentReport.Build(new IncidentReportInput
        {
            Title = "Database lost", DetectedUtc = Detected, Summary = "The primary's disk failed.", Items = [Restore(), .. checks], GeneratedUtc = Detected.AddHours(2),
        });
        Assert.StartsWith("# Incident Report: 2026-11-30 - Database lost\n\n## Summary\nThe primary's disk failed.\n", md);
        Assert.Contains("Downtime duration: 57m 0s (measured from detection at 2026-11-30 10:00:00Z to the recovery checklist passing at 2026-11-30 10:57:00Z; the database restore itself took 20m 0s)", md);
        Assert.Contains("Data loss: Yes, a window of up to 8h 0m: changes between the restored backup of 2026-11-30 02:00:00Z", md);
        // The timeline is in time order, from the objects' own timestamps.
        var stamps = Regex.Matches(md, @"^- \*\*(\S+ \S+)\*\*", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(stamps.Order(StringComparer.Ordinal), stamps);
        Assert.Equal(new[] { "2026-11-30 02:00:00Z", "2026-11-30 10:00:00Z", "2026-11-30 10:30:00Z", "2026-11-30 10:50:00Z", "2026-11-30 10:57:00Z" }, stamps);
        Assert.Contains("None from the checks", md);
        Assert.Contains("## To Confirm by Hand\n- [ ] 12. Users notified of service restoration: Tell the users", md);
        Assert.Contains("| 4 | Storage bucket accessible | s3://media | Passed | Listed |", md);
    }

    [Fact]
    public void AFailedCheckIsAnActionItemAndTheDowntimeIsNotOver()
    {
        var md = IncidentReport.Build(new IncidentReportInput
        {
            Title = "t", DetectedUtc = Detected,
            Items = [Check(1, RecoveryCheckStatus.Passed, "db", "ok", 30), Check(9, RecoveryCheckStatus.Failed, "https://app/health", "Answered 503 | down", 31), Restore()],
        });
        var actions = ActionItems(md);
        Assert.Equal(new[] { "- [ ] Item 9, Health checks passing (`https://app/health`): Answered 503 | down" }, actions);
        Assert.Contains("Downtime duration: not over: 1 recovery check(s) failed", md);
        Assert.Contains("| Answered 503 \\| down |", md);   // a table cell escapes the pipe
    }

    [Fact]
    public async Task TheReportIsWrittenAtomicallyAndNotOverwrittenWithoutForce()
    {
        var folder = Directory.CreateTempSubdirectory("xt-report-").FullName;
        try
        {
            var path = Path.Combine(folder, "sub", "incident.md");   // a missing folder is created
            var file = await IncidentReportWriter.WriteAsync(path, "# first\n", force: false, CancellationToken.None);
            Assert.Equal(path, file.FullName);
            var e = await Assert.ThrowsAsync<ClutterException>(() => IncidentReportWriter.WriteAsync(path, "# second\n", force: false, CancellationToken.None));
            Assert.True(e.Is(Errors.IncidentReportExists));
            Assert.Equal(path, e.Target);
            Assert.Equal("# first\n", await File.ReadAllTextAsync(path));
            await IncidentReportWriter.WriteAsync(path, "# third\n", force: true, CancellationToken.None);
            Assert.Equal("# third\n", await File.ReadAllTextAsync(path));
            Assert.Equal(new[] { "incident.md" }, Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));  // no temporary file left
            var onFolder = Assert.Throws<ClutterException>(() => IncidentReportWriter.EnsureWritable(folder, force: true));
            Assert.True(onFolder.Is(Errors.IncidentReportExists));
        }
        finally { Directory.Delete(folder, true); }
    }
}
