using System.Management.Automation;
using ClutterDR.Snapshots;

namespace ClutterDR.Commands;

/// <summary>Get-ClutterStorageFile: the files of a snapshot (piped from Get-ClutterStorageSnapshot, or its location), filtered by wildcards.</summary>
[Cmdlet(VerbsCommon.Get, "ClutterStorageFile")]
[OutputType(typeof(StorageSnapshotFile))]
public sealed class GetClutterStorageFileCommand : ClutterS3Cmdlet
{
    /// <summary>A snapshot's location (StorageSnapshot.Location), or a snapshot location (its newest snapshot).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Location")]
    [ValidateNotNullOrEmpty]
    public string Snapshot { get; set; } = "";

    /// <summary>Wildcards over the key (* crosses '/'): only matching files.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Include { get; set; } = Array.Empty<string>();

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var files = await PerItemAsync(async () =>
        {
            var (root, indexKey) = SnapshotRepository.Split(ResolveLocation(Snapshot));
            using var store = Storage.ObjectStores.Open(root, BuildS3Options());
            var (key, index) = await SnapshotRepository.ResolveAsync(store, indexKey, null, cancellationToken).ConfigureAwait(false);
            var filter = new Sync.KeyFilter(Include, null);
            var where = store.Describe(key);
            return index.Files.Where(f => filter.Matches(f.Key)).Select(f => new StorageSnapshotFile
            {
                Snapshot = where, Key = f.Key, Size = f.Size, Modified = f.Modified, Sha256 = f.Sha256, ContentType = f.ContentType,
                Metadata = f.Metadata ?? new Dictionary<string, string>(), Blob = store.Describe(Catalog.SnapshotIndex.BlobKey(f.Sha256)),
            }).ToList();
        }, Snapshot).ConfigureAwait(false);
        foreach (var f in files ?? new List<StorageSnapshotFile>()) await EmitObjectAsync(f).ConfigureAwait(false);
    }
}
