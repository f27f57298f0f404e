using System.Management.Automation;
using ClutterDR.Snapshots;

namespace ClutterDR.Commands;

/// <summary>Get-ClutterStorageSnapshot: the snapshots under a snapshot location (oldest first), each read from its index.</summary>
[Cmdlet(VerbsCommon.Get, "ClutterStorageSnapshot")]
[OutputType(typeof(StorageSnapshot))]
public sealed class GetClutterStorageSnapshotCommand : ClutterS3Cmdlet
{
    /// <summary>The location Backup-ClutterStorage -Destination wrote to.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public string Location { get; set; } = "";

    /// <summary>Only snapshots of this name.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>Only the newest snapshot (of each name).</summary>
    [Parameter]
    public SwitchParameter Latest { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var found = await PerItemAsync(async () =>
        {
            using var store = Storage.ObjectStores.Open(ResolveLocation(Location), BuildS3Options());
            var refs = await SnapshotRepository.ListAsync(store, Name, cancellationToken).ConfigureAwait(false);
            if (Latest) refs = refs.GroupBy(r => r.Name).Select(g => g.Last()).OrderBy(r => r.Created).ToList();
            var result = new List<StorageSnapshot>();
            foreach (var r in refs)
            {
                try { result.Add(SnapshotRepository.Describe(store, r.Key, await SnapshotRepository.ReadAsync(store, r.Key, cancellationToken).ConfigureAwait(false))); }
                catch (ClutterException e) when (!e.Terminating) { await EmitErrorAsync(e).ConfigureAwait(false); }
            }
            return result;
        }, Location).ConfigureAwait(false);
        foreach (var s in found ?? new List<StorageSnapshot>()) await EmitObjectAsync(s).ConfigureAwait(false);
    }
}
