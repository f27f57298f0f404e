using System.Management.Automation;

namespace ClutterDR.Commands;

/// <summary>
/// Base of the cmdlets that take files: -Path (wildcards) or -LiteralPath (also from Get-ChildItem by
/// property name), resolved to file system paths; one missing path is a non-terminating error.
/// </summary>
public abstract class FileCmdlet : AsyncCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Path")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "LiteralPath")]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>Output file, or an existing folder to write into; by default beside the input.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Destination { get; set; }

    /// <summary>Overwrite an existing output file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>The input files of this pipeline item; unresolvable ones are reported and skipped.</summary>
    protected List<string> ResolveInputs()
    {
        var result = new List<string>();
        if (ParameterSetName == "LiteralPath")
        {
            foreach (var p in LiteralPath) result.Add(SessionState.Path.GetUnresolvedProviderPathFromPSPath(p));
            return result;
        }
        foreach (var p in Path)
        {
            try
            {
                result.AddRange(GetResolvedProviderPathFromPSPath(p, out var provider).Where(_ => provider.Name == "FileSystem"));
            }
            catch (ItemNotFoundException e)
            {
                EmitError(new ClutterException(Errors.FileNotFound, $"No file matches '{p}'.", p, e));
            }
        }
        return result;
    }

    /// <summary>Writes a file as Get-Item would (with Mode, PSPath, ...), so the default file view shows it.</summary>
    protected Task EmitFileAsync(FileInfo file) => OnPipelineThreadAsync(() =>
    {
        foreach (var item in InvokeProvider.Item.Get(new[] { file.FullName }, force: true, literalPath: true)) WriteObject(item);
        return true;
    });

    /// <summary>Where one input's output goes: -Destination (a file, or a folder to write into) or the default name.</summary>
    protected string OutputPath(string input, string? defaultPath, string defaultName)
    {
        if (Destination is null)
            return defaultPath ?? throw new ClutterException(Errors.DestinationRequired,
                $"There is no default output name for '{input}': give -Destination.", input);
        var dest = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Destination);
        return Directory.Exists(dest) ? System.IO.Path.Combine(dest, defaultName) : dest;
    }
}
