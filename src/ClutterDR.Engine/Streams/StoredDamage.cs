using ClutterDR.Catalog;

namespace ClutterDR.Streams;

/// <summary>
/// What damage to a stored backup is called: a data error of the chain (<see cref="StoredFormat.IsDataError"/>)
/// is its own error or BackupCorrupt; stored bytes that differ from the manifest are BackupTruncated or ChecksumMismatch.
/// </summary>
public static class StoredDamage
{
    /// <summary>The error for a data error: its own, or BackupCorrupt for a decompression failure.</summary>
    public static ClutterException DataError(Exception e, string backupText) => e as ClutterException
        ?? new ClutterException(Errors.BackupCorrupt,
            $"The backup '{backupText}' cannot be decompressed ({e.Message}). Use an older backup (Get-ClutterBackup).", backupText, e);

    /// <summary>The stored bytes (all of them read) against the manifest: null when size and SHA-256 match.</summary>
    public static ClutterException? Mismatch(long storedBytes, string sha256, BackupManifest manifest, string backupText)
    {
        if (storedBytes == manifest.StoredBytes && string.Equals(sha256, manifest.Sha256, StringComparison.OrdinalIgnoreCase)) return null;
        var truncated = storedBytes < manifest.StoredBytes;
        return new ClutterException(truncated ? Errors.BackupTruncated : Errors.ChecksumMismatch,
            truncated
                ? $"The backup '{backupText}' is truncated: {storedBytes} of the {manifest.StoredBytes} bytes its manifest records are stored. Use an older backup (Get-ClutterBackup)."
                : $"The backup '{backupText}' does not match its manifest (size {storedBytes} vs {manifest.StoredBytes}, SHA-256 {sha256} vs {manifest.Sha256}): it was modified or damaged. Use an older backup (Get-ClutterBackup).",
            backupText);
    }
}
