using System.Management.Automation;
using ClutterDR.Repository;

namespace ClutterDR.Commands;

/// <summary>Get-ClutterDrill: the restore drills recorded under a location (&lt;db&gt;/drills/*.json), newest first.</summary>
[Cmdlet(VerbsCommon.Get, "ClutterDrill")]
[OutputType(typeof(DrillResult))]
public sealed class GetClutterDrillCommand : BackupLocationCmdlet
{
    /// <summary>Only the newest drill of each database.</summary>
    [Parameter]
    public SwitchParameter Latest { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var found = await PerItemAsync(async () =>
        {
            using var repository = BackupRepository.Open(ResolveLocation(Location), BuildS3Options());
            await repository.EnsureReadableAsync(cancellationToken).ConfigureAwait(false);
            return await DrillRecords.ListAsync(repository, Database, Sink, cancellationToken).ConfigureAwait(false);
        }, Location).ConfigureAwait(false);
        var drills = found ?? new List<DrillResult>();
        if (Latest) drills = drills.GroupBy(d => d.Database, StringComparer.Ordinal).Select(g => g.First()).ToList();
        foreach (var drill in drills) await EmitObjectAsync(drill).ConfigureAwait(false);
    }
}
