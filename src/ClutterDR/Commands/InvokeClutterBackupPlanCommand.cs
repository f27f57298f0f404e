using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using ClutterDR.Plan;

namespace ClutterDR.Commands;

/// <summary>
/// Invoke-ClutterBackupPlan: runs the jobs of a plan file, each step one ClutterDR cmdlet (whatever the module
/// exports), in dependency order. A failed step does not stop independent ones; its dependants are skipped. Writes
/// one PlanResult per job, then a script-terminating PlanFailed or PlanStopped. The plan's pure parts (shape,
/// secrets, order, log lines) are the engine's (ClutterDR.Plan); only the invoking is here.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "ClutterBackupPlan", SupportsShouldProcess = true)]
[OutputType(typeof(PlanResult))]
public sealed class InvokeClutterBackupPlanCommand : PSCmdlet, IDisposable
{
    /// <summary>The plan: a PowerShell data file (.psd1).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Only these jobs (default: every job of the plan, by name).</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string[]? Job { get; set; }

    /// <summary>A file the plain-text log lines are appended to.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    /// <summary>Secrets the plan references as @{ FromSecret = 'name' }: @{ name = PSCredential, SecureString or string }.</summary>
    [Parameter]
    public Hashtable? Secret { get; set; }

    private PlanStepRunner? _runner;
    private PlanHooks? _hooks;
    private PlanExit? _exit;
    private StreamWriter? _logFile;
    private bool _plainOutput;

    protected override void StopProcessing() => _exit?.Stopped("a stop request");

    protected override void ProcessRecord()
    {
        var session = new PlanSession(this);
        var problems = new List<ClutterException>();
        var plan = session.Load(Path, problems);
        var order = plan.Jobs.ToDictionary(j => j.Name, j => StepOrder.Of(j, problems), StringComparer.OrdinalIgnoreCase);
        foreach (var j in plan.Jobs)
            try { CronSchedule.Parse(j.Schedule, $"job '{j.Name}'"); } catch (ClutterException e) { problems.Add(e); }
        if (problems.Count > 0)
        {
            PlanSession.WriteProblems(this, problems);
            ThrowTerminatingError(ErrorRecords.From(new ClutterException(Errors.PlanFailed,
                $"The plan '{plan.Path}' has {problems.Count} problem(s) (the errors above) and did not run. Test-ClutterBackupPlan lists them.", plan.Path)));
        }
        var jobs = SelectJobs(plan);
        var whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? ((SwitchParameter)w).IsPresent : (SessionState.PSVariable.GetValue("WhatIfPreference") is bool b && b) || (SessionState.PSVariable.GetValue("WhatIfPreference") is SwitchParameter sp && sp.IsPresent);

        var interactive = !Console.IsOutputRedirected && !Environment.GetCommandLineArgs().Any(a => a.TrimStart('-', '/').StartsWith("noni", StringComparison.OrdinalIgnoreCase));
        _plainOutput = Console.IsOutputRedirected && Host.Name == "ConsoleHost";
        if (_plainOutput) InvokeCommand.InvokeScript("if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }");
        if (LogPath is not null)
        {
            var full = session.ResolvePath(LogPath);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            _logFile = new StreamWriter(new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }

        var secrets = PlanSession.Secrets(Secret);
        var vault = session.Vault();
        var results = new List<PlanResult>();
        string job = "";
        _runner = new PlanStepRunner(this, (evt, id, text, step) => Log(job, step, evt, text, id), interactive);
        _exit = new PlanExit(_runner.Stop);
        if (!whatIf && !plan.Targets.IsEmpty) _hooks = new PlanHooks(this, plan, secrets, vault, (j, evt, text, id) => Log(j, null, evt, text, id));
        foreach (var j in jobs)
        {
            job = j.Name;
            results.Add(RunJob(j, order[j.Name], plan, session, secrets, vault, whatIf));
            if (_exit.Signal is not null) break;
        }

        if (_exit.Signal is not null)
        {
            Log(job, null, "stopped", $"by {_exit.Signal}; the rest of the plan did not run", Errors.PlanStopped.Id);
            var stopped = new ClutterException(Errors.PlanStopped, $"The plan '{plan.Path}' was stopped by {_exit.Signal} during job '{job}'. Run the job again; each step starts over.", plan.Path);
            // In a pwsh -File/-Command run the host exits with the signal's code, set first: after SIGINT pwsh has
            // stopped the pipeline itself, and writing the results throws PipelineStoppedException.
            var hostExits = _exit.SetExitCode(Host);
            foreach (var r in results) WriteObject(r);
            // After SIGTERM a script-terminating error would turn the exit code into 1: the script stops as at Ctrl+C
            // instead, the error written first.
            if (hostExits && _exit.Signal == "SIGTERM")
            {
                PlanStepRunner.WriteError(this, ErrorRecords.From(stopped));
                throw new PipelineStoppedException();
            }
            throw PlanExit.Terminating(stopped);
        }
        foreach (var r in results) WriteObject(r);
        var failed = results.SelectMany(r => r.Steps.Where(s => s.Status == PlanStepStatus.Failed).Select(s => $"{r.Job}/{s.Name} [{s.ErrorId}]")).ToList();
        if (failed.Count > 0)
            throw PlanExit.Terminating(new ClutterException(Errors.PlanFailed,
                $"{failed.Count} step(s) of the plan '{plan.Path}' failed: {string.Join(", ", failed)}. The other steps ran; the log and the PlanResult say why each failed.", plan.Path));
    }

    private IReadOnlyList<PlanJob> SelectJobs(BackupPlan plan)
    {
        if (Job is null) return plan.Jobs;
        var missing = Job.Where(n => !plan.Jobs.Any(j => j.Name.Equals(n, StringComparison.OrdinalIgnoreCase))).ToList();
        if (missing.Count > 0)
            ThrowTerminatingError(ErrorRecords.From(new ClutterException(Errors.PlanUnknownJob,
                $"The plan '{plan.Path}' has no job {string.Join(", ", missing.Select(m => "'" + m + "'"))}. Its jobs: {string.Join(", ", plan.Jobs.Select(j => j.Name))}.", missing[0])));
        return plan.Jobs.Where(j => Job.Contains(j.Name, StringComparer.OrdinalIgnoreCase)).ToList();
    }

    private PlanResult RunJob(PlanJob job, IReadOnlyList<PlanStep> steps, BackupPlan plan, PlanSession session, IReadOnlyDictionary<string, object?> secrets, Func<string, string?, object?>? vault, bool whatIf)
    {
        var result = new PlanResult { Plan = plan.Path, Job = job.Name, StartedUtc = DateTime.UtcNow, WhatIf = whatIf };
        Log(job.Name, null, "started", $"{steps.Count} step(s){(whatIf ? ", -WhatIf" : "")}", null);
        _hooks?.JobStarted(job);
        var done = new List<PlanStepResult>();
        foreach (var step in steps)
        {
            var r = new PlanStepResult { Name = step.Name, Command = step.Command };
            done.Add(r);
            var clock = Stopwatch.StartNew();
            var blocked = step.DependsOn.FirstOrDefault(d => done.FirstOrDefault(x => x.Name.Equals(d, StringComparison.OrdinalIgnoreCase))?.Status != PlanStepStatus.Succeeded);
            if (_exit!.Signal is not null) Skip(r, job, "the plan was stopped");
            else if (blocked is not null) Skip(r, job, $"it depends on '{blocked}', which did not succeed");
            else RunStep(step, r, job, plan, session, secrets, vault, whatIf);
            r.Duration = clock.Elapsed;
        }
        result.Steps = done.ToArray();
        result.FinishedUtc = DateTime.UtcNow;
        result.Status = _exit!.Signal is not null ? "Stopped" : result.Failed > 0 ? "Failed" : "Succeeded";
        Log(job.Name, null, result.Status.ToLowerInvariant(), $"in {Format.Duration(result.Duration)}: {done.Count(s => s.Status == PlanStepStatus.Succeeded)} succeeded, {result.Failed} failed, {done.Count(s => s.Status == PlanStepStatus.Skipped)} skipped", null);
        _hooks?.JobFinished(job, result);
        return result;
    }

    private void RunStep(PlanStep step, PlanStepResult r, PlanJob job, BackupPlan plan, PlanSession session, IReadOnlyDictionary<string, object?> secrets, Func<string, string?, object?>? vault, bool whatIf)
    {
        var info = session.Cmdlet(step.Command);
        BoundStep bound;
        try
        {
            if (info is null)
                throw new ClutterException(Errors.PlanUnknownCommand, $"{step.Where}: '{step.Command}' is not a cmdlet of the ClutterDR module loaded (Get-Command -Module ClutterDR lists them).", step.Where);
            var problems = new List<ClutterException>();
            bound = PlanValidator.Bind(step, plan.Defaults, session.ParametersOf(step.Command)!, secrets, vault, problems);
            if (problems.Count > 0) throw problems[0];
        }
        catch (ClutterException e)
        {
            r.Status = PlanStepStatus.Failed; r.ErrorId = e.ErrorId; r.Error = PlanLogLine.Clean(e.Message);
            Log(job.Name, step.Name, "failed", e.Message, e.ErrorId);
            PlanStepRunner.WriteError(this, ErrorRecords.From(e));
            return;
        }
        foreach (var d in bound.IgnoredDefaults)
            WriteVerbose($"{job.Name}/{step.Name}: the default -{d} is not a parameter of {step.Command}: not passed.");
        if (whatIf && !info!.Parameters.ContainsKey("WhatIf"))
        {
            var text = $"What if: would run {step.Command} -{string.Join(" -", bound.Parameters.Keys)} ({step.Command} has no -WhatIf)";
            Host.UI.WriteLine(text);
            Skip(r, job, text);
            return;
        }
        Log(job.Name, step.Name, "started", step.Command, null);
        _runner!.Run(info!, bound, whatIf, r);
        if (_exit!.Signal is not null && r.ErrorId == Errors.PlanStopped.Id) r.Error = $"stopped by {_exit.Signal} while it ran";
        if (r.Status == PlanStepStatus.Succeeded) Log(job.Name, step.Name, "succeeded", r.Output, null);
        else Log(job.Name, step.Name, "failed", r.Error ?? "", r.ErrorId);
    }

    private void Skip(PlanStepResult r, PlanJob job, string why)
    {
        r.Status = PlanStepStatus.Skipped; r.Error = why;
        Log(job.Name, r.Name, "skipped", why, null);
    }

    private void Log(string job, string? step, string evt, string text, string? errorId)
    {
        var line = PlanLogLine.Format(DateTime.UtcNow, job, step, evt, text, errorId);
        _logFile?.WriteLine(line);
        if (_plainOutput) { try { Host.UI.WriteLine(line); } catch (Exception e) when (e is PipelineStoppedException or InvalidOperationException) { /* stopping */ } }
        else WriteVerbose(line);
    }

    public void Dispose()
    {
        _exit?.Dispose();
        _hooks?.Dispose();
        _logFile?.Dispose();
        GC.SuppressFinalize(this);
    }
}
