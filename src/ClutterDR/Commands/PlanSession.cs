using System.Collections;
using System.Management.Automation;
using ClutterDR.Plan;

namespace ClutterDR.Commands;

/// <summary>
/// What the plan cmdlets share on the PowerShell side: reading the data file (Import-PowerShellDataFile: no code
/// runs), the catalog of the module's cmdlets looked up at run time (whatever the loaded module exports), and the
/// SecretManagement lookup when that module is present.
/// </summary>
internal sealed class PlanSession : ICommandCatalog
{
    private readonly PSCmdlet _cmdlet;
    private readonly Dictionary<string, CmdletInfo> _cmdlets;

    public PlanSession(PSCmdlet cmdlet)
    {
        _cmdlet = cmdlet;
        var module = cmdlet.MyInvocation.MyCommand.Module;
        _cmdlets = new Dictionary<string, CmdletInfo>(StringComparer.OrdinalIgnoreCase);
        if (module is not null)
            foreach (var c in module.ExportedCmdlets.Values)
                if (!c.Name.EndsWith("-ClutterBackupPlan", StringComparison.OrdinalIgnoreCase) && c.Name != "Export-ClutterSchedule") _cmdlets[c.Name] = c;
    }

    public CmdletInfo? Cmdlet(string name) => _cmdlets.TryGetValue(name, out var c) ? c : null;

    public IReadOnlyCollection<string>? ParametersOf(string command) =>
        Cmdlet(command)?.Parameters.Values.SelectMany(p => p.Aliases.Prepend(p.Name)).ToArray();

    public string ResolvePath(string path) => _cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    public BackupPlan Load(string path, List<ClutterException> problems)
    {
        var full = ResolvePath(path);
        if (!File.Exists(full))
            throw new ClutterException(Errors.PlanNotFound, $"The plan file '{full}' does not exist. Give the path of a .psd1 plan (see about_ClutterDR, 'Unattended: the plan').", full);
        IDictionary data;
        try
        {
            var result = _cmdlet.InvokeCommand.InvokeScript("Microsoft.PowerShell.Utility\\Import-PowerShellDataFile -LiteralPath $args[0]", full);
            data = result.Count == 1 && result[0]?.BaseObject is IDictionary d ? d : throw new InvalidDataException("it is not one hashtable");
        }
        catch (Exception e) when (e is RuntimeException or InvalidDataException)
        {
            throw new ClutterException(Errors.PlanNotFound.As(FailureKind.InvalidData),
                $"The plan file '{full}' is not a PowerShell data file Import-PowerShellDataFile can read: {PlanLogLine.Clean(e.Message)} Fix its syntax: one @{{ ... }} of literal values, no commands or variables.", full, e);
        }
        return BackupPlan.Read(data, full, problems);
    }

    /// <summary>Get-Secret of Microsoft.PowerShell.SecretManagement, or null when that module is not installed.</summary>
    public Func<string, string?, object?>? Vault()
    {
        var available = _cmdlet.InvokeCommand.InvokeScript("[bool](Get-Module -ListAvailable Microsoft.PowerShell.SecretManagement)");
        if (available.Count == 0 || available[0]?.BaseObject is not true) return null;
        return (name, vault) =>
        {
            var found = _cmdlet.InvokeCommand.InvokeScript(
                "param($n, $v) if ($v) { Microsoft.PowerShell.SecretManagement\\Get-Secret -Name $n -Vault $v -ErrorAction SilentlyContinue } else { Microsoft.PowerShell.SecretManagement\\Get-Secret -Name $n -ErrorAction SilentlyContinue }",
                false, System.Management.Automation.Runspaces.PipelineResultTypes.None, null, name, vault);
            return found.Count > 0 ? found[0]?.BaseObject : null;
        };
    }

    /// <summary>The -Secret table as names and values (PSCredential, SecureString, string: passed on as they are).</summary>
    public static IReadOnlyDictionary<string, object?> Secrets(Hashtable? table)
    {
        var d = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (table is not null) foreach (DictionaryEntry e in table) d[e.Key?.ToString() ?? ""] = e.Value is PSObject p ? p.BaseObject : e.Value;
        return d;
    }

    public static void WriteProblems(PSCmdlet cmdlet, IEnumerable<ClutterException> problems)
    {
        foreach (var p in problems) cmdlet.WriteError(ErrorRecords.From(p));
    }
}
