namespace ClutterDR;

/// <summary>One storage snapshot (Backup-/Get-ClutterStorageSnapshot): its index's location, what it holds and what its run stored.</summary>
public sealed class StorageSnapshot
{
    public string Name { get; init; } = "";
    public DateTime Created { get; init; }
    /// <summary>The index object (pass it to Restore-ClutterStorage -Snapshot, or pipe the snapshot).</summary>
    public string Location { get; init; } = "";
    public string Source { get; init; } = "";
    public int Files { get; init; }
    public long Bytes { get; init; }
    /// <summary>Blobs this run uploaded (content not stored before).</summary>
    public int NewBlobs { get; init; }
    /// <summary>Bytes this run uploaded.</summary>
    public long NewBytes { get; init; }
    /// <summary>Files whose content was stored already (unchanged, or the same content under another key).</summary>
    public int Reused { get; init; }
    public TimeSpan Duration { get; init; }
    public bool Encrypted { get; init; }
    /// <summary>The index object again, under the name Remove-ClutterBackup binds piped snapshots by (-SnapshotLocation).</summary>
    public string SnapshotLocation => Location;

    public override string ToString() => Location;
}

/// <summary>One file of a storage snapshot (Get-ClutterStorageFile).</summary>
public sealed class StorageSnapshotFile
{
    public string Snapshot { get; init; } = "";
    public string Key { get; init; } = "";
    public long Size { get; init; }
    public DateTime Modified { get; init; }
    public string Sha256 { get; init; } = "";
    public string? ContentType { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    /// <summary>The blob that holds the content.</summary>
    public string Blob { get; init; } = "";

    public override string ToString() => Key;
}

/// <summary>The outcome of Restore-ClutterStorage.</summary>
public sealed class StorageRestoreResult
{
    public string Snapshot { get; init; } = "";
    public string Destination { get; init; } = "";
    public int Restored { get; init; }
    /// <summary>Files already identical at the destination, and declined ones.</summary>
    public int Skipped { get; init; }
    public int Failed { get; init; }
    public long Bytes { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>True under -WhatIf: Restored and Bytes count what would have been written.</summary>
    public bool WhatIf { get; init; }
    internal IReadOnlyList<ClutterException> Problems { get; init; } = Array.Empty<ClutterException>();

    public override string ToString() => $"{(WhatIf ? "What if: " : "")}{Snapshot} -> {Destination}: {Restored} restored, {Skipped} skipped, {Failed} failed";
}

/// <summary>The outcome of Test-ClutterStorageSnapshot: every referenced blob present (and, with -Deep, hashing to its name); with a database, every file it names present.</summary>
public sealed class StorageSnapshotCheck
{
    public string Snapshot { get; init; } = "";
    public int Files { get; init; }
    public int Blobs { get; init; }
    public bool Deep { get; init; }
    /// <summary>Files whose blob is missing or of the wrong size.</summary>
    public int MissingBlobs { get; init; }
    /// <summary>Files whose blob does not hash to its name (-Deep).</summary>
    public int DamagedBlobs { get; init; }
    /// <summary>Rows of the object table checked (-ConnectionString), and those whose file the snapshot lacks.</summary>
    public int DatabaseFiles { get; init; }
    public int MissingFiles { get; init; }
    public bool Passed { get; init; }
    public TimeSpan Duration { get; init; }
    internal IReadOnlyList<ClutterException> Problems { get; init; } = Array.Empty<ClutterException>();

    public override string ToString() => $"{Snapshot}: {(Passed ? "passed" : "FAILED")}";
}
