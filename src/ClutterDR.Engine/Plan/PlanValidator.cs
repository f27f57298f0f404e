namespace ClutterDR.Plan;

/// <summary>What a plan's validation needs to know about the cmdlets: a command's parameter names (with aliases), or null when there is no such cmdlet.</summary>
public interface ICommandCatalog
{
    IReadOnlyCollection<string>? ParametersOf(string command);
}

/// <summary>A step ready to run: its parameters with defaults applied and secrets resolved, and what was left out.</summary>
public sealed record BoundStep(PlanStep Step, IReadOnlyDictionary<string, object?> Parameters, IReadOnlyList<string> IgnoredDefaults);

/// <summary>
/// Checks a plan without running it (every problem, each naming its job and step): schedules, commands, parameters,
/// secrets, dependencies; and binds a step's parameters: Defaults for every parameter the cmdlet has that the step
/// does not set, the step's own values over them, secret references resolved.
/// </summary>
public static class PlanValidator
{
    public static List<ClutterException> Validate(BackupPlan plan, ICommandCatalog catalog, IReadOnlyDictionary<string, object?> secrets, Func<string, string?, object?>? vault)
    {
        var problems = new List<ClutterException>();
        plan.Targets.Resolve(null, secrets, vault, problems);
        foreach (var job in plan.Jobs)
        {
            if (job.HeartbeatUri is not null) PlanTargets.Heartbeat(job, secrets, vault, problems);
            if (job.Schedule.Length > 0)
            {
                try { CronSchedule.Parse(job.Schedule, $"job '{job.Name}'"); }
                catch (ClutterException e) { problems.Add(e); }
            }
            StepOrder.Of(job, problems);
            foreach (var step in job.Steps)
            {
                var known = catalog.ParametersOf(step.Command);
                if (known is null)
                {
                    if (step.Command.Length > 0)
                        problems.Add(new ClutterException(Errors.PlanUnknownCommand, $"{step.Where}: '{step.Command}' is not a cmdlet of the ClutterDR module loaded (Get-Command -Module ClutterDR lists them).", step.Where));
                    continue;
                }
                foreach (var name in step.Parameters.Keys.Where(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase)))
                    problems.Add(new ClutterException(Errors.PlanUnknownParameter, $"{step.Where}: {step.Command} has no parameter -{name}. Check it with Get-Help {step.Command} -Parameter *.", step.Where));
                try { Bind(step, plan.Defaults, known, secrets, vault, problems); }
                catch (ClutterException e) { problems.Add(e); }
            }
        }
        return problems;
    }

    /// <summary>
    /// The parameters to splat: defaults the cmdlet has (others listed as ignored), the step's values over them,
    /// each secret reference resolved. Throws the first PlanSecretMissing; shape problems of references go to problems.
    /// </summary>
    public static BoundStep Bind(PlanStep step, IReadOnlyDictionary<string, object?> defaults, IReadOnlyCollection<string> known,
        IReadOnlyDictionary<string, object?> secrets, Func<string, string?, object?>? vault, List<ClutterException> problems)
    {
        var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var ignored = new List<string>();
        foreach (var (k, v) in defaults)
        {
            if (step.Parameters.ContainsKey(k)) continue;
            if (known.Contains(k, StringComparer.OrdinalIgnoreCase)) result[k] = v; else ignored.Add(k);
        }
        foreach (var (k, v) in step.Parameters) result[k] = v;
        ClutterException? missing = null;
        foreach (var k in result.Keys.ToList())
        {
            var where = $"{step.Where}, parameter -{k}";
            var reference = SecretReference.TryParse(result[k], where, problems);
            if (reference is null) continue;
            try { result[k] = reference.Resolve(where, secrets, vault); }
            catch (ClutterException e) { missing ??= e; }
        }
        if (missing is not null) throw missing;
        return new BoundStep(step, result, ignored);
    }
}
