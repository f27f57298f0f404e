using System.Management.Automation;
using ClutterDR.Catalog;

namespace ClutterDR.Commands;

/// <summary>The one way a location text becomes a BackupLocation: s3:// as is, folders resolved against the PowerShell location.</summary>
internal static class LocationResolver
{
    public static BackupLocation Resolve(PSCmdlet cmdlet, string text)
    {
        if (IsS3(text)) return BackupLocation.Parse(text);
        var path = ProviderPaths.Resolve(cmdlet, text, e => NotAPath(text, e));
        return BackupLocation.Parse(path);
    }

    /// <summary>
    /// A folder to write to. Wildcards resolve as PowerShell resolves them, and must name exactly one existing
    /// folder; a path without wildcards is taken literally, and created when missing.
    /// </summary>
    public static BackupLocation ResolveDestination(PSCmdlet cmdlet, string text)
    {
        if (IsS3(text) || !WildcardPattern.ContainsWildcardCharacters(text)) return Resolve(cmdlet, text);
        var folders = ProviderPaths.ResolveExistingFolders(cmdlet, text, e => NotAPath(text, e));
        if (folders.Count == 1) return BackupLocation.Parse(folders[0]);
        // A folder whose name holds [ or ] and that exists as written is meant literally.
        var literal = ProviderPaths.Resolve(cmdlet, text, e => NotAPath(text, e));
        if (folders.Count == 0 && Directory.Exists(literal)) return BackupLocation.Parse(literal);
        if (folders.Count == 0)
            throw new ClutterException(Errors.DestinationNotFound,
                $"-Destination '{text}' has wildcards and matches no existing folder. Give one folder: a literal path without wildcards is created when missing.",
                text);
        throw new ClutterException(Errors.AmbiguousDestination,
            $"-Destination '{text}' matches {folders.Count} folders ({string.Join(", ", folders.Take(5))}{(folders.Count > 5 ? ", ..." : "")}). A backup goes to one folder: give its path.",
            text);
    }

    private static bool IsS3(string text) => BackupLocation.LooksLikeS3(text) || text.Contains("://", StringComparison.Ordinal);

    private static ClutterException NotAPath(string text, Exception e) =>
        new(Errors.InvalidLocation, $"'{text}' is not a file system path or an s3:// location: {e.Message}", text, e);
}
