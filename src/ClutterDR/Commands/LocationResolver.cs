using System.Management.Automation;
using ClutterDR.Catalog;

namespace ClutterDR.Commands;

/// <summary>The one way a location text becomes a BackupLocation: s3:// as is, folders resolved against the PowerShell location.</summary>
internal static class LocationResolver
{
    public static BackupLocation Resolve(PSCmdlet cmdlet, string text)
    {
        if (BackupLocation.LooksLikeS3(text) || text.Contains("://", StringComparison.Ordinal)) return BackupLocation.Parse(text);
        var path = ProviderPaths.Resolve(cmdlet, text, e => new ClutterException("InvalidLocation", FailureKind.InvalidArgument,
            $"'{text}' is not a file system path or an s3:// location: {e.Message}", text, e));
        return BackupLocation.Parse(path);
    }
}
