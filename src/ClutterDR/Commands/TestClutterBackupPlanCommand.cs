using System.Collections;
using System.Management.Automation;
using ClutterDR.Plan;

namespace ClutterDR.Commands;

/// <summary>
/// Test-ClutterBackupPlan: checks a plan without running it (shape, cron schedules, unknown cmdlets or parameters
/// of the module loaded, secrets that cannot be resolved, DependsOn on unknown steps, cycles). Each problem is an
/// error naming the job and step; the output is $true when there is none.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "ClutterBackupPlan")]
[OutputType(typeof(bool))]
public sealed class TestClutterBackupPlanCommand : PSCmdlet
{
    /// <summary>The plan: a PowerShell data file (.psd1).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The secrets Invoke-ClutterBackupPlan will get (-Secret): FromSecret references are checked against these names.</summary>
    [Parameter]
    public Hashtable? Secret { get; set; }

    protected override void ProcessRecord()
    {
        var session = new PlanSession(this);
        var problems = new List<ClutterException>();
        BackupPlan plan;
        try { plan = session.Load(Path, problems); }
        catch (ClutterException e) { WriteError(ErrorRecords.From(e)); WriteObject(false); return; }
        problems.AddRange(PlanValidator.Validate(plan, session, PlanSession.Secrets(Secret), session.Vault()));
        PlanSession.WriteProblems(this, problems);
        WriteVerbose($"{plan.Path}: {plan.Jobs.Count} job(s), {plan.Jobs.Sum(j => j.Steps.Count)} step(s), {problems.Count} problem(s).");
        WriteObject(problems.Count == 0);
    }
}
