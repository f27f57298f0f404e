namespace ClutterDR.Storage;

/// <summary>What ClutterDR needs to know about S3 storage classes.</summary>
internal static class StorageClasses
{
    /// <summary>
    /// Classes whose objects cannot be read until an S3 restore request (RestoreObject) has brought
    /// them back: GLACIER (Flexible Retrieval) and DEEP_ARCHIVE. GLACIER_IR is read at once, and the
    /// archive tiers of INTELLIGENT_TIERING are opt-in per bucket.
    /// </summary>
    public static bool NeedsRestore(string? storageClass) =>
        string.Equals(storageClass, "GLACIER", StringComparison.OrdinalIgnoreCase)
        || string.Equals(storageClass, "DEEP_ARCHIVE", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The class of a backup's manifest: that of the backup, except STANDARD (null: the bucket's
    /// default) for the classes that need a restore. Every listing reads the manifests; an archived
    /// one could not be read, and the backup would drop out of every listing.
    /// </summary>
    public static string? ForManifest(string? storageClass) => NeedsRestore(storageClass) ? null : storageClass;

    /// <summary>True for a class other than STANDARD (which is also what no class means).</summary>
    public static bool IsNonStandard(string? storageClass) =>
        !string.IsNullOrWhiteSpace(storageClass) && !string.Equals(storageClass.Trim(), "STANDARD", StringComparison.OrdinalIgnoreCase);
}
