using System.Collections;
using ClutterDR.Notify;
using ClutterDR.Plan;
using Xunit;

namespace ClutterDR.Tests;

/// <summary>The plan's targets (Defaults.Audit, Notify, HeartbeatUri) and the notification of a PlanResult: pure.</summary>
public class PlanTargetsTests
{
    private static Hashtable Plan(Hashtable defaults) => new()
    {
        ["Defaults"] = defaults,
        ["Jobs"] = new Hashtable { ["j"] = new Hashtable { ["Schedule"] = "@daily", ["HeartbeatUri"] = "http://127.0.0.1:1/job", ["Steps"] = new object[] { new Hashtable { ["Name"] = "s", ["Command"] = "Get-ClutterBackup" } } } },
    };

    [Fact]
    public void TargetsAreTakenOutOfTheDefaultsAndResolved()
    {
        var problems = new List<ClutterException>();
        var plan = BackupPlan.Read(Plan(new Hashtable
        {
            ["MaxRetries"] = 0,
            ["Audit"] = new Hashtable { ["ConnectionString"] = new Hashtable { ["FromSecret"] = "audit" } },
            ["Notify"] = new object[] { new Hashtable { ["Uri"] = "https://hooks.example/x", ["Format"] = "teams" } },
            ["HeartbeatUri"] = "https://hc-ping.com/abc",
        }), "/p.psd1", problems);
        Assert.Empty(problems);
        Assert.Equal(["MaxRetries"], plan.Defaults.Keys);
        var secrets = new Dictionary<string, object?> { ["audit"] = "postgresql://u:pw@127.0.0.1/audit" };
        var all = plan.Targets.Resolve(null, secrets, null, problems);
        Assert.Empty(problems);
        Assert.Equal("postgresql://u:pw@127.0.0.1/audit", all.AuditConnectionString);
        Assert.Equal(NotificationFormat.Teams, Assert.Single(all.Webhooks).Format);
        Assert.Equal("https://hc-ping.com/abc", all.Heartbeat!.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:1/job", plan.Targets.Resolve(plan.Jobs[0], secrets, null, problems).Heartbeat!.AbsoluteUri);
    }

    [Fact]
    public void BadTargetsAreProblems()
    {
        var problems = new List<ClutterException>();
        BackupPlan.Read(Plan(new Hashtable { ["Audit"] = "postgresql://x", ["Notify"] = new Hashtable { ["Url"] = "http://x" } }), "/p.psd1", problems);
        Assert.True(problems.Count >= 2);
        Assert.All(problems, p => Assert.True(p.Is(Errors.PlanInvalid)));
    }

    [Fact]
    public void APlanResultIsOneEventWithItsFirstError()
    {
        var started = new DateTime(2026, 1, 1, 2, 0, 0, DateTimeKind.Utc);
        var result = new PlanResult
        {
            Plan = "/etc/clutterdr/plan.psd1", Job = "nightly", StartedUtc = started, FinishedUtc = started.AddSeconds(42), Status = "Failed",
            Steps = [
                new PlanStepResult { Name = "a", Command = "Backup-ClutterDatabase", Status = PlanStepStatus.Succeeded },
                new PlanStepResult { Name = "b", Command = "Backup-ClutterDatabase", Status = PlanStepStatus.Failed, ErrorId = "ServerUnreachable", Error = "down" },
                new PlanStepResult { Name = "c", Command = "Test-ClutterBackupAge", Status = PlanStepStatus.Skipped },
            ],
        };
        var e = NotificationEvent.From(result)!;
        Assert.Equal(NotificationStatus.Failed, e.Status);
        Assert.Equal(("plan", "plan.psd1", "nightly", 1), (e.Type, e.Plan, e.Job, e.StepsFailed));
        Assert.Equal("ServerUnreachable", e.ErrorId);
        Assert.Contains("step 'b'", e.ErrorMessage);
        Assert.Equal(TimeSpan.FromSeconds(42), e.Duration);
        Assert.Contains("1 step(s) succeeded, 1 failed, 1 skipped", e.Message);
        Assert.Contains("job nightly", NotificationPayloads.Text(e));
        result.Status = "Succeeded";
        Assert.Equal(NotificationStatus.Success, NotificationEvent.From(result)!.Status);
    }
}
