namespace ClutterDR.Plan;

/// <summary>
/// The order a job's steps run in: the listed order, except that a step runs after every step it depends on
/// (a stable topological sort). Unknown dependencies and cycles are problems naming the job and step.
/// </summary>
public static class StepOrder
{
    public static IReadOnlyList<PlanStep> Of(PlanJob job, List<ClutterException> problems)
    {
        var byName = job.Steps.ToDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var s in job.Steps)
            foreach (var d in s.DependsOn)
                if (!byName.ContainsKey(d))
                    problems.Add(new ClutterException(Errors.PlanUnknownDependency,
                        $"{s.Where}: DependsOn '{d}' is not a step of this job (its steps: {string.Join(", ", job.Steps.Select(x => x.Name))}).", s.Where));
        var done = new List<PlanStep>();
        var placed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = job.Steps.ToList();
        while (pending.Count > 0)
        {
            var next = pending.FirstOrDefault(s => s.DependsOn.All(d => placed.Contains(d) || !byName.ContainsKey(d)));
            if (next is null)
            {
                var cycle = string.Join(" -> ", pending.Select(s => s.Name));
                problems.Add(new ClutterException(Errors.PlanDependencyCycle,
                    $"job '{job.Name}': the steps {cycle} depend on each other in a cycle. Remove one of their DependsOn.", $"job '{job.Name}'"));
                return done;
            }
            pending.Remove(next);
            placed.Add(next.Name);
            done.Add(next);
        }
        return done;
    }
}
