namespace ClutterDR;

/// <summary>
/// What Remove-ClutterBackup -Prune did at one snapshot location: the blobs no remaining snapshot references that it
/// deleted (or would delete, under -WhatIf), and the unreferenced blobs it kept because they are younger than the
/// debris age (a snapshot being written may need them).
/// </summary>
public sealed class StoragePruneResult
{
    /// <summary>The snapshot location (the one Backup-ClutterStorage -Destination wrote to).</summary>
    public string Location { get; init; } = "";
    /// <summary>The snapshots that remain, whose indexes were read (the mark).</summary>
    public int Snapshots { get; init; }
    /// <summary>Blobs those snapshots reference.</summary>
    public int ReferencedBlobs { get; init; }
    public int SweptBlobs { get; init; }
    public long SweptBytes { get; init; }
    /// <summary>Unreferenced blobs kept for being younger than the debris age (24 h, CLUTTERDR_DEBRIS_MIN_AGE).</summary>
    public int YoungBlobsKept { get; init; }
    /// <summary>True under -WhatIf: nothing was deleted; SweptBlobs and SweptBytes count what would be.</summary>
    public bool WhatIf { get; init; }

    public override string ToString() => $"{(WhatIf ? "Would sweep" : "Swept")} {SweptBlobs} blob(s), {SweptBytes} bytes at {Location}";
}
