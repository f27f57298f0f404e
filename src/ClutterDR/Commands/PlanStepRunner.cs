using System.Collections;
using System.Management.Automation;
using System.Security;
using ClutterDR.Plan;

namespace ClutterDR.Commands;

/// <summary>
/// Runs one plan step: its cmdlet with the step's parameters splatted, in a nested pipeline of the caller's
/// runspace, so binding, validation and errors are the cmdlet's own. Errors and warnings reach the log as they
/// happen; progress reaches an interactive host only; verbose, warning and error records go on to the caller.
/// </summary>
internal sealed class PlanStepRunner
{
    private readonly PSCmdlet _cmdlet;
    private readonly Action<string, string?, string, string?> _log;
    private readonly bool _interactive;
    private PowerShell? _current;

    public PlanStepRunner(PSCmdlet cmdlet, Action<string, string?, string, string?> log, bool interactive)
    {
        _cmdlet = cmdlet; _log = log; _interactive = interactive;
    }

    /// <summary>Stops the running step (from a signal handler or StopProcessing: any thread).</summary>
    public void Stop()
    {
        try { _current?.BeginStop(null, null); }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException) { /* it had ended */ }
    }

    public void Run(CmdletInfo info, BoundStep bound, bool whatIf, PlanStepResult result)
    {
        var parameters = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in bound.Parameters)
        {
            var type = info.Parameters.Values.FirstOrDefault(p => p.Name.Equals(k, StringComparison.OrdinalIgnoreCase) || p.Aliases.Contains(k, StringComparer.OrdinalIgnoreCase))?.ParameterType;
            parameters[k] = v is string s && type == typeof(SecureString) ? Secure(s) : v;
        }
        if (whatIf) parameters["WhatIf"] = true;

        var errors = new List<ErrorRecord>();
        var stopped = false;
        var output = new PSDataCollection<PSObject>();
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddCommand(info).AddParameters(parameters);
        ps.Streams.Error.DataAdded += (_, e) =>
        {
            var r = ps.Streams.Error[e.Index];
            errors.Add(r);
            _log("error", Id(r), Message(r), bound.Step.Name);
        };
        ps.Streams.Warning.DataAdded += (_, e) => _log("warning", null, ps.Streams.Warning[e.Index].Message, bound.Step.Name);
        if (_interactive)
            ps.Streams.Progress.DataAdded += (_, e) =>
            {
                try { _cmdlet.WriteProgress(ps.Streams.Progress[e.Index]); }
                catch (Exception x) when (x is InvalidOperationException or PSInvalidOperationException) { /* not on the pipeline thread: dropped */ }
            };
        _current = ps;
        try
        {
            ps.Invoke(null, output);
        }
        catch (RuntimeException e) when (e is not PipelineStoppedException)
        {
            // A terminating error of the cmdlet, or of its parameter binding: the step's own, as it would be at a prompt.
            var record = e.ErrorRecord;
            errors.Add(record);
            _log("error", Id(record), Message(record), bound.Step.Name);
        }
        catch (PipelineStoppedException)
        {
            stopped = true;
        }
        finally
        {
            _current = null;
            foreach (var v in ps.Streams.Verbose) _cmdlet.WriteVerbose($"{bound.Step.Job}/{bound.Step.Name}: {v.Message}");
            foreach (var w in ps.Streams.Warning) _cmdlet.WriteWarning($"{bound.Step.Job}/{bound.Step.Name}: {w.Message}");
            foreach (var r in errors) WriteError(_cmdlet, r);
        }

        result.Objects = output.Select(o => o.BaseObject).ToArray();
        result.Output = Summary(result.Objects);
        if (stopped || ps.InvocationStateInfo.State == PSInvocationState.Stopped)
        {
            result.Status = PlanStepStatus.Failed;
            result.ErrorId = Errors.PlanStopped.Id;
            result.Error = "stopped while it ran";
        }
        else if (errors.Count > 0)
        {
            result.Status = PlanStepStatus.Failed;
            result.ErrorId = Id(errors[0]);
            result.Error = Message(errors[0]);
        }
        else result.Status = PlanStepStatus.Succeeded;
    }

    /// <summary>
    /// A step's error, passed on to the caller's error stream; under -ErrorAction Stop it stays in the log and the
    /// PlanResult instead, so that one failed step never stops the steps after it (PlanFailed ends the run).
    /// </summary>
    public static void WriteError(PSCmdlet cmdlet, ErrorRecord r)
    {
        var bound = cmdlet.MyInvocation.BoundParameters.TryGetValue("ErrorAction", out var a) ? a : null;
        var preference = bound ?? cmdlet.GetVariableValue("ErrorActionPreference");
        if (preference is ActionPreference.Stop || string.Equals(preference?.ToString(), "Stop", StringComparison.OrdinalIgnoreCase)) return;
        cmdlet.WriteError(r);
    }

    public static string Id(ErrorRecord r) => (r.FullyQualifiedErrorId ?? "").Split(',')[0];

    public static string Message(ErrorRecord r) => PlanLogLine.Clean(r.ErrorDetails?.Message ?? r.Exception?.Message ?? r.ToString());

    private static string Summary(object[] objects)
    {
        if (objects.Length == 0) return "";
        var types = string.Join(", ", objects.GroupBy(o => o.GetType().Name).Select(g => $"{g.Count()} {g.Key}"));
        var first = string.Join("; ", objects.Take(3).Select(o => PlanLogLine.Clean(o.ToString() ?? "")));
        return $"{types}: {first}{(objects.Length > 3 ? "; ..." : "")}";
    }

    private static SecureString Secure(string s)
    {
        var secure = new SecureString();
        foreach (var c in s) secure.AppendChar(c);
        secure.MakeReadOnly();
        return secure;
    }
}
