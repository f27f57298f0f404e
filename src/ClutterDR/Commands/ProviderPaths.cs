using System.Management.Automation;

namespace ClutterDR.Commands;

/// <summary>The one way a path text from the command line becomes a file system path (relative to the PowerShell location).</summary>
internal static class ProviderPaths
{
    /// <summary>The provider path of <paramref name="text"/>; a text PowerShell cannot take as a path becomes the error <paramref name="failure"/> makes.</summary>
    public static string Resolve(PSCmdlet cmdlet, string text, Func<Exception, ClutterException> failure)
    {
        try
        {
            return cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(text);
        }
        catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException or PSArgumentException)
        {
            throw failure(e);
        }
    }

    /// <summary>The existing file system folders a wildcard path matches, as Resolve-Path finds them (none when it matches nothing).</summary>
    public static IReadOnlyList<string> ResolveExistingFolders(PSCmdlet cmdlet, string text, Func<Exception, ClutterException> failure)
    {
        try
        {
            var paths = cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(text, out var provider);
            if (provider.Name != "FileSystem") throw failure(new NotSupportedException($"it is a {provider.Name} path, not a file system path"));
            return paths.Where(Directory.Exists).Distinct(StringComparer.Ordinal).ToList();
        }
        catch (ItemNotFoundException)
        {
            return Array.Empty<string>();
        }
        catch (Exception e) when (e is System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException or PSArgumentException)
        {
            throw failure(e);
        }
    }
}
