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
    /// <summary>Keys already equal, and planned actions declined (-WhatIf, -Confirm).</summary>
    public int Skipped { get; init; }
    /// <summary>Items that failed or were refused (each also written as an error).</summary>
    public int Failed { get; init; }
    /// <summary>Bytes transferred (copied and updated).</summary>
    public long Bytes { get; init; }
    public TimeSpan Duration { get; init; }

    public override string ToString() => $"{Source} -> {Destination}: {Copied} copied, {Updated} updated, {Deleted} deleted, {Skipped} skipped, {Failed} failed";
}
