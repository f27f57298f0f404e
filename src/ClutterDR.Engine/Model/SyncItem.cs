namespace ClutterDR;

/// <summary>What the sync does with one key.</summary>
public enum SyncActionKind { Copy, Update, Delete, Skip }

/// <summary>How one planned action ended.</summary>
public enum SyncItemStatus
{
    /// <summary>Carried out (or, for Skip, nothing was needed).</summary>
    Done,
    /// <summary>Failed or refused; an error record says why.</summary>
    Failed,
    /// <summary>Declined by -WhatIf or -Confirm.</summary>
    NotRun,
}

/// <summary>One action of a sync, as Sync-ClutterStorage -PassThru writes it.</summary>
public sealed class SyncItem
{
    public SyncActionKind Action { get; init; }
    /// <summary>The key relative to the source and destination ('/'-separated).</summary>
    public string Key { get; init; } = "";
    public long Size { get; init; }
    public SyncItemStatus Status { get; init; }
    /// <summary>The full destination location of the key (s3://bucket/key or a file path).</summary>
    public string Destination { get; init; } = "";
    /// <summary>Why it failed, when Status is Failed.</summary>
    public string? Error { get; init; }

    public override string ToString() => $"{Action} {Key}";
}
