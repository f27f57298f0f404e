using System.Management.Automation;
using ClutterDR.Recovery;

namespace ClutterDR.Commands;

/// <summary>
/// Writes the guide's post-incident report (markdown) from the objects of a recovery piped in (DrillResult,
/// RecoveryCheck, RestoreResult, BackupInfo) and a person's words (-Title, -DetectedAt, -Summary): the timeline
/// from the objects' timestamps, the measured downtime and data-loss window, an action item per failed check.
/// Written atomically; an existing file only with -Force; -WhatIf writes nothing.
/// </summary>
[Cmdlet(VerbsCommon.New, "ClutterIncidentReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class NewClutterIncidentReportCommand : AsyncCmdlet
{
    /// <summary>The markdown file to write (incident-2026-12-01.md).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Output of Test-ClutterRestore, Test-ClutterRecovery, Restore-ClutterDatabase or Get-ClutterBackup.</summary>
    [Parameter(ValueFromPipeline = true)]
    [AllowNull]
    public PSObject[] InputObject { get; set; } = Array.Empty<PSObject>();

    /// <summary>The incident's title (the report's heading: "Incident Report: date - title").</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Title { get; set; } = "";

    /// <summary>When the incident was detected: the start of the downtime, the end of the data-loss window. A time without a zone is local time.</summary>
    [Parameter]
    public DateTime? DetectedAt { get; set; }

    /// <summary>A brief description of the incident and its impact (the report's Summary).</summary>
    [Parameter]
    public string? Summary { get; set; }

    /// <summary>Replace an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private readonly List<object> _items = new();

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var o in InputObject ?? Array.Empty<PSObject>())
        {
            if (o?.BaseObject is DrillResult or RecoveryCheck or RestoreResult or BackupInfo) _items.Add(o.BaseObject);
            else if (o is not null)
                await EmitErrorAsync(new ClutterException(Errors.IncidentInputNotSupported,
                    $"A {o.BaseObject.GetType().Name} is not an input of the incident report; it was left out. Pipe the output of Test-ClutterRestore, Test-ClutterRecovery, Restore-ClutterDatabase or Get-ClutterBackup.",
                    o.BaseObject.GetType().FullName)).ConfigureAwait(false);
        }
    }

    // The report is one item: a refused or failed write is its non-terminating error (-ErrorAction applies).
    protected override async Task EndProcessingAsync(CancellationToken cancellationToken) =>
        await PerItemAsync(() => WriteReportAsync(cancellationToken), Path).ConfigureAwait(false);

    private async Task<FileInfo?> WriteReportAsync(CancellationToken cancellationToken)
    {
        var path = ProviderPaths.Resolve(this, Path, e => new ClutterException(Errors.DestinationNotWritable, $"-Path '{Path}' is not a file system path: {e.Message} Give a file path such as ./incident.md.", Path, e));
        IncidentReportWriter.EnsureWritable(path, Force);
        var markdown = IncidentReport.Build(new IncidentReportInput
        {
            Title = Title,
            DetectedUtc = DetectedAt is DateTime d ? (d.Kind == DateTimeKind.Utc ? d : d.ToUniversalTime()) : null,
            Summary = Summary,
            Items = _items,
        });
        EmitVerbose($"Incident report from {_items.Count} object(s) ({string.Join(", ", _items.GroupBy(i => i.GetType().Name).Select(g => $"{g.Count()} {g.Key}"))}) to '{path}'.");
        if (!await ConfirmAsync(path, $"Write the incident report ({_items.Count} object(s), {markdown.Length} characters)").ConfigureAwait(false)) return null;
        var file = await IncidentReportWriter.WriteAsync(path, markdown, Force, cancellationToken).ConfigureAwait(false);
        await OnPipelineThreadAsync(() =>
        {
            foreach (var item in InvokeProvider.Item.Get(new[] { file.FullName }, force: true, literalPath: true)) WriteObject(item);
            return true;
        }).ConfigureAwait(false);
        return file;
    }
}
