using System.Collections;

namespace ClutterDR.Plan;

/// <summary>One step of a plan's job: a ClutterDR cmdlet, its parameters (values as the data file gave them,
/// secret references unresolved) and the steps of the same job it needs to have succeeded.</summary>
public sealed record PlanStep(string Job, string Name, string Command, IReadOnlyDictionary<string, object?> Parameters, IReadOnlyList<string> DependsOn)
{
    public string Where => $"job '{Job}', step '{Name}'";
}

/// <summary>A named job: a cron schedule and its steps in the order the plan lists them.</summary>
public sealed record PlanJob(string Name, string Schedule, IReadOnlyList<PlanStep> Steps)
{
    /// <summary>This job's heartbeat (a URI or a secret reference), over the plan's Defaults.HeartbeatUri.</summary>
    public object? HeartbeatUri { get; init; }
}

/// <summary>
/// A backup plan as read from its data file (Import-PowerShellDataFile: no code runs): Defaults applied to every
/// step whose cmdlet has the parameter, and the jobs, sorted by name. Built by <see cref="Read"/>, which reports
/// every shape problem (PlanInvalid) instead of stopping at the first.
/// </summary>
public sealed class BackupPlan
{
    public string Path { get; init; } = "";
    public IReadOnlyDictionary<string, object?> Defaults { get; init; } = new Dictionary<string, object?>();
    public IReadOnlyList<PlanJob> Jobs { get; init; } = [];
    /// <summary>The audit database, webhooks and heartbeat named once in Defaults (not passed to steps).</summary>
    public PlanTargets Targets { get; init; } = new();

    private static readonly string[] TopKeys = ["Jobs", "Defaults", "Description"];
    private static readonly string[] JobKeys = ["Schedule", "Steps", "Description", "HeartbeatUri"];
    private static readonly string[] StepKeys = ["Name", "Command", "Parameters", "DependsOn"];

    /// <summary>A job or step name: it becomes a unit, task and log name, so letters, digits, '.', '_' and '-' only.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') && name[0] != '-' && name[0] != '.';

    public static BackupPlan Read(IDictionary data, string path, List<ClutterException> problems)
    {
        void Problem(string message) => problems.Add(new ClutterException(Errors.PlanInvalid, $"{path}: {message}", path));
        UnknownKeys(data, TopKeys, "the plan", Problem);
        var defaults = Dictionary(data, "Defaults", "the plan", Problem);
        var targets = PlanTargets.Read(defaults, Problem);
        var jobs = new List<PlanJob>();
        if (Find(data, "Jobs") is not IDictionary jobTable || jobTable.Count == 0)
            Problem("it has no Jobs: add Jobs = @{ name = @{ Schedule = '0 2 * * *'; Steps = @( @{ Name = ...; Command = ...; Parameters = @{ ... } } ) } }.");
        else
            foreach (DictionaryEntry j in jobTable)
            {
                var name = j.Key?.ToString() ?? "";
                if (!IsValidName(name)) { Problem($"job name '{name}' is not valid: use letters, digits, '.', '_' and '-' (it becomes a timer, task and log name)."); continue; }
                if (j.Value is not IDictionary job) { Problem($"job '{name}' must be a hashtable with Schedule and Steps."); continue; }
                jobs.Add(ReadJob(name, job, Problem));
            }
        return new BackupPlan { Path = path, Defaults = defaults, Targets = targets, Jobs = jobs.OrderBy(j => j.Name, StringComparer.OrdinalIgnoreCase).ToList() };
    }

    private static PlanJob ReadJob(string name, IDictionary job, Action<string> problem)
    {
        UnknownKeys(job, JobKeys, $"job '{name}'", problem);
        var schedule = Find(job, "Schedule") as string ?? "";
        if (schedule.Length == 0) problem($"job '{name}' has no Schedule: add a cron expression such as Schedule = '0 2 * * *'.");
        var steps = new List<PlanStep>();
        var raw = Find(job, "Steps") switch { IDictionary one => new object?[] { one }, IEnumerable many and not string => many.Cast<object?>().ToArray(), _ => [] };
        if (raw.Length == 0) problem($"job '{name}' has no Steps: add Steps = @( @{{ Name = 'backup'; Command = 'Backup-ClutterDatabase'; Parameters = @{{ ... }} }} ).");
        var index = 0;
        foreach (var item in raw)
        {
            index++;
            if (item is not IDictionary s) { problem($"job '{name}', step {index} must be a hashtable with Name, Command and Parameters."); continue; }
            var stepName = Find(s, "Name") as string ?? "";
            var where = $"job '{name}', step '{(stepName.Length > 0 ? stepName : index.ToString())}'";
            UnknownKeys(s, StepKeys, where, problem);
            if (!IsValidName(stepName)) { problem($"{where}: Name must be set, with letters, digits, '.', '_' and '-' only."); continue; }
            if (steps.Any(x => string.Equals(x.Name, stepName, StringComparison.OrdinalIgnoreCase))) { problem($"{where}: two steps have this name; step names must be unique in a job."); continue; }
            var command = Find(s, "Command") as string ?? "";
            if (command.Length == 0) problem($"{where}: Command must name a ClutterDR cmdlet, e.g. Command = 'Backup-ClutterDatabase'.");
            var parameters = Dictionary(s, "Parameters", where, problem);
            var depends = Find(s, "DependsOn") switch { null => [], string one => [one], IEnumerable many => many.Cast<object?>().Select(o => o?.ToString() ?? "").ToArray(), var other => new[] { other.ToString() ?? "" } };
            steps.Add(new PlanStep(name, stepName, command, parameters, depends));
        }
        return new PlanJob(name, schedule, steps) { HeartbeatUri = Find(job, "HeartbeatUri") };
    }

    private static object? Find(IDictionary d, string key)
    {
        foreach (DictionaryEntry e in d)
            if (string.Equals(e.Key?.ToString(), key, StringComparison.OrdinalIgnoreCase)) return e.Value;
        return null;
    }

    private static Dictionary<string, object?> Dictionary(IDictionary d, string key, string where, Action<string> problem)
    {
        var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var value = Find(d, key);
        if (value is null) return result;
        if (value is not IDictionary table) { problem($"{where}: {key} must be a hashtable of parameter names and values."); return result; }
        foreach (DictionaryEntry e in table) result[e.Key?.ToString() ?? ""] = e.Value;
        return result;
    }

    private static void UnknownKeys(IDictionary d, string[] known, string where, Action<string> problem)
    {
        foreach (DictionaryEntry e in d)
            if (!known.Contains(e.Key?.ToString() ?? "", StringComparer.OrdinalIgnoreCase))
                problem($"{where} has an unknown key '{e.Key}' (known: {string.Join(", ", known)}).");
    }
}
