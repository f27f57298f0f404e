namespace ClutterDR;

/// <summary>The outcome of Sync-ClutterStorage: what changed at the destination.</summary>
public sealed class SyncSummary
{
    public string Source { get; init; } = "";
    public string Destination { get; init; } = "";
    /// <summary>Keys new at the destination.</summary>
    public int Copied { get; init; }
    /// <summary>Keys whose destination content was replaced.</summary>
    public int Updated { get; init; }
    public int Deleted { get; init; }
    /// <summary>Keys already equal, and planned actions declined (-Confirm answered No).</summary>
    public int Skipped { get; init; }
    /// <summary>Items that failed or were refused (each also written as an error).</summary>
    public int Failed { get; init; }
    /// <summary>Bytes transferred (copied and updated).</summary>
    public long Bytes { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>
    /// True under -WhatIf: nothing was changed, and Copied, Updated, Deleted and Bytes count what
    /// the sync would have done.
    /// </summary>
    public bool WhatIf { get; init; }
    /// <summary>The failures that did not stop the sync (one per failed item), each also reported to the host.</summary>
    internal IReadOnlyList<ClutterException> Problems { get; init; } = Array.Empty<ClutterException>();

    public override string ToString() => $"{(WhatIf ? "What if: " : "")}{Source} -> {Destination}: {Copied} copied, {Updated} updated, {Deleted} deleted, {Skipped} skipped, {Failed} failed";
}
