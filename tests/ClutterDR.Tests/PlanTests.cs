using System.Collections;
using ClutterDR.Plan;
using Xunit;

namespace ClutterDR.Tests;

/// <summary>The plan's pure parts: its shape, secret references, step order, log lines and the cron conversions.</summary>
public class PlanTests
{
    private static Hashtable Step(string name, string command, object? dependsOn = null) =>
        new() { ["Name"] = name, ["Command"] = command, ["Parameters"] = new Hashtable(), ["DependsOn"] = dependsOn };

    private static BackupPlan Read(Hashtable data, List<ClutterException> problems) => BackupPlan.Read(data, "/p.psd1", problems);

    [Theory]
    [InlineData("0 2 * * *", "*-*-* 02:00:00")]
    [InlineData("0 1 * * 0", "Sun *-*-* 01:00:00")]
    [InlineData("0 1 * * 7", "Sun *-*-* 01:00:00")]
    [InlineData("0 9 1 * *", "*-*-01 09:00:00")]
    [InlineData("*/15 9-17 * * 1-5", "Mon..Fri *-*-* 09..17:00,15,30,45:00")]
    [InlineData("30 4 * jan,jul sat", "Sat *-01,07-* 04:30:00")]
    [InlineData("0 0 1-10/3 * *", "*-*-01,04,07,10 00:00:00")]
    [InlineData("@weekly", "Sun *-*-* 00:00:00")]
    [InlineData("5 0 * 2-4 *", "*-02..04-* 00:05:00")]
    public void Converts_cron_to_OnCalendar(string cron, string expected) =>
        Assert.Equal(expected, ScheduleConverter.ToOnCalendar(CronSchedule.Parse(cron, "job 'j'"), "job 'j'"));

    [Theory]
    [InlineData("0 2 * *")]
    [InlineData("0 0 2 * * *")]
    [InlineData("0 2 L * *")]
    [InlineData("0 2 * * 5#2")]
    [InlineData("0 2 15W * *")]
    [InlineData("0 2 ? * *")]
    [InlineData("61 2 * * *")]
    [InlineData("0 2 * * mon-")]
    [InlineData("@reboot")]
    public void Refuses_what_crontab_cannot_say(string cron)
    {
        var e = Assert.Throws<ClutterException>(() => CronSchedule.Parse(cron, "job 'j'"));
        Assert.True(e.Is(Errors.PlanInvalidSchedule));
        Assert.Contains("job 'j'", e.Message);
    }

    [Fact]
    public void Refuses_both_day_fields_for_systemd_and_more_than_48_times_a_day_for_Task_Scheduler()
    {
        var both = CronSchedule.Parse("0 2 1 * 1", "job 'j'");
        Assert.Contains("either one", Assert.Throws<ClutterException>(() => ScheduleConverter.ToOnCalendar(both, "job 'j'")).Message);
        Assert.Throws<ClutterException>(() => ScheduleConverter.TimesOfDay(CronSchedule.Parse("*/5 * * * *", "job 'j'"), "job 'j'"));
        Assert.Equal(["02:00", "02:30", "14:00", "14:30"], ScheduleConverter.TimesOfDay(CronSchedule.Parse("0,30 2,14 * * *", "job 'j'"), "job 'j'"));
    }

    [Theory]
    [InlineData("*/15 9-17 * * 1-5")]
    [InlineData("0 1 * * 0")]
    [InlineData("0 9 1 * *")]
    [InlineData("30 4 * jan,jul sat")]
    public void The_expanded_fields_agree_with_Cronos_on_a_year_of_occurrences(string cron)
    {
        var s = CronSchedule.Parse(cron, "j");
        var t = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < 300; i++)
        {
            var next = s.NextUtc(t)!.Value;
            Assert.Contains(next.Minute, s.Minutes);
            Assert.Contains(next.Hour, s.Hours);
            Assert.Contains(next.Month, s.Months);
            if (s.DayOfWeekRestricted) Assert.Contains((int)next.DayOfWeek, s.DaysOfWeek);
            if (s.DayOfMonthRestricted) Assert.Contains(next.Day, s.DaysOfMonth);
            t = next;
        }
    }

    [Fact]
    public void Orders_steps_after_their_dependencies_and_names_cycles_and_unknown_steps()
    {
        var problems = new List<ClutterException>();
        var plan = Read(new Hashtable { ["Jobs"] = new Hashtable { ["j"] = new Hashtable { ["Schedule"] = "0 2 * * *", ["Steps"] = new object[] { Step("age", "Test-ClutterBackupAge", "backup"), Step("backup", "Backup-ClutterDatabase"), Step("sync", "Sync-ClutterStorage") } } } }, problems);
        Assert.Empty(problems);
        Assert.Equal(["backup", "age", "sync"], StepOrder.Of(plan.Jobs[0], problems).Select(s => s.Name));

        var cyclic = Read(new Hashtable { ["Jobs"] = new Hashtable { ["j"] = new Hashtable { ["Schedule"] = "0 2 * * *", ["Steps"] = new object[] { Step("a", "X", "b"), Step("b", "X", new object[] { "a" }), Step("c", "X", "zzz") } } } }, problems);
        StepOrder.Of(cyclic.Jobs[0], problems);
        Assert.Contains(problems, p => p.Is(Errors.PlanDependencyCycle) && p.Message.Contains("a -> b"));
        Assert.Contains(problems, p => p.Is(Errors.PlanUnknownDependency) && p.Message.Contains("job 'j', step 'c'") && p.Message.Contains("'zzz'"));
    }

    [Fact]
    public void Reports_every_shape_problem_with_its_job_and_step()
    {
        var problems = new List<ClutterException>();
        Read(new Hashtable { ["Jobz"] = 1 }, problems);
        Assert.Equal(2, problems.Count); // unknown key, no Jobs
        problems.Clear();
        Read(new Hashtable { ["Jobs"] = new Hashtable { ["bad name"] = new Hashtable(), ["j"] = new Hashtable { ["Steps"] = new object[] { Step("s", ""), Step("s", "X"), "text" } } } }, problems);
        Assert.All(problems, p => Assert.True(p.Is(Errors.PlanInvalid)));
        Assert.Contains(problems, p => p.Message.Contains("job name 'bad name'"));
        Assert.Contains(problems, p => p.Message.Contains("job 'j' has no Schedule"));
        Assert.Contains(problems, p => p.Message.Contains("job 'j', step 's': Command must name"));
        Assert.Contains(problems, p => p.Message.Contains("job 'j', step 's': two steps have this name"));
        Assert.Contains(problems, p => p.Message.Contains("job 'j', step 3 must be a hashtable"));
    }

    [Fact]
    public void Resolves_secret_references_and_says_where_each_missing_one_was_looked_for()
    {
        var problems = new List<ClutterException>();
        Assert.Null(SecretReference.TryParse(new Hashtable { ["Key"] = "v" }, "w", problems));
        Assert.Null(SecretReference.TryParse("plain", "w", problems));
        Assert.Empty(problems);
        SecretReference.TryParse(new Hashtable { ["FromEnvironment"] = "A", ["FromSecret"] = "b" }, "w", problems);
        Assert.True(Assert.Single(problems).Is(Errors.PlanInvalid));

        var name = "CLUTTERDR_PLAN_TEST_" + Guid.NewGuid().ToString("N");
        var env = SecretReference.TryParse(new Hashtable { ["FromEnvironment"] = name }, "w", problems)!;
        var missing = Assert.Throws<ClutterException>(() => env.Resolve("job 'j', step 's'", new Dictionary<string, object?>(), null));
        Assert.True(missing.Is(Errors.PlanSecretMissing));
        Assert.Contains(name, missing.Message);
        Environment.SetEnvironmentVariable(name, "value-1");
        try { Assert.Equal("value-1", env.Resolve("w", new Dictionary<string, object?>(), null)); }
        finally { Environment.SetEnvironmentVariable(name, null); }

        var secret = SecretReference.TryParse(new Hashtable { ["FromSecret"] = "s3" }, "w", problems)!;
        var cred = new object();
        Assert.Same(cred, secret.Resolve("w", new Dictionary<string, object?> { ["s3"] = cred }, null));
        var vault = SecretReference.TryParse(new Hashtable { ["FromVault"] = "db", ["Vault"] = "v" }, "w", problems)!;
        Assert.Equal(FailureKind.NotInstalled, Assert.Throws<ClutterException>(() => vault.Resolve("w", new Dictionary<string, object?>(), null)).Kind);
        Assert.Equal("db@v", vault.Resolve("w", new Dictionary<string, object?>(), (n, v) => $"{n}@{v}"));
    }

    [Fact]
    public void Binds_defaults_the_cmdlet_has_under_the_steps_own_values()
    {
        var step = new PlanStep("j", "s", "Backup-ClutterDatabase", new Dictionary<string, object?> { ["Destination"] = "/own" }, []);
        var defaults = new Dictionary<string, object?> { ["Destination"] = "/default", ["EndpointUrl"] = "http://127.0.0.1:1", ["HeartbeatUri"] = "http://x" };
        var bound = PlanValidator.Bind(step, defaults, ["Destination", "EndpointUrl", "ConnectionString"], new Dictionary<string, object?>(), null, []);
        Assert.Equal("/own", bound.Parameters["Destination"]);
        Assert.Equal("http://127.0.0.1:1", bound.Parameters["EndpointUrl"]);
        Assert.Equal(["HeartbeatUri"], bound.IgnoredDefaults);
    }

    [Fact]
    public void Log_lines_are_one_plain_line_with_an_ISO_UTC_time()
    {
        var line = PlanLogLine.Format(new DateTime(2026, 12, 1, 2, 0, 3, 412, DateTimeKind.Utc), "daily", "backup", "failed", "\u001b[31;1mpg_dump\u001b[0m exited\r\nwith   code 1\n", "PgDumpFailed");
        Assert.Equal("2026-12-01T02:00:03.412Z daily/backup failed [PgDumpFailed] pg_dump exited with code 1", line);
        Assert.Equal("2026-12-01T02:00:03.000Z daily/- started", PlanLogLine.Format(new DateTime(2026, 12, 1, 2, 0, 3, DateTimeKind.Utc), "daily", null, "started", ""));
    }
}
