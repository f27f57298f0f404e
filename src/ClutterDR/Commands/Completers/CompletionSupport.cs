using System.Collections;
using System.Management.Automation;
using ClutterDR.Catalog;
using ClutterDR.Completion;
using ClutterDR.Storage;

namespace ClutterDR.Commands.Completers;

/// <summary>
/// What the completers share: reading the parameters already on the command line (fakeBoundParameters),
/// running a lookup within CompletionLookup.Budget, and quoting results. A completer never throws: an
/// unreachable server, a missing credential or a timeout offers nothing, and PowerShell falls back to its
/// own (path) completion.
/// </summary>
internal static class CompletionSupport
{
    private static readonly char[] NeedsQuotes = { ' ', '\t', '\'', '"', '`', '$', ';', '(', ')', '{', '}', ',', '&', '|', '@', '#', '<', '>' };

    public static object? BoundValue(IDictionary? fakeBoundParameters, string name) => S3OptionsBuilder.Value(fakeBoundParameters, name);

    public static string? BoundString(IDictionary? fakeBoundParameters, string name) =>
        BoundValue(fakeBoundParameters, name) is { } v && v.ToString() is { Length: > 0 } s ? s : null;

    /// <summary>The S3 options on the command line; unbound ones fall back to the SDK defaults (AWS_ENDPOINT_URL_S3, ...).</summary>
    public static S3Options S3Options(IDictionary? fakeBoundParameters) => S3OptionsBuilder.From(fakeBoundParameters);

    /// <summary>A location as the cmdlets read it: s3://..., or a folder relative to the PowerShell location.</summary>
    public static BackupLocation? TryResolveLocation(string text)
    {
        try
        {
            if (BackupLocation.LooksLikeS3(text)) return BackupLocation.Parse(text);
            var path = text;
            if (!System.IO.Path.IsPathRooted(text) && CurrentFileSystemLocation() is { } here)
                path = System.IO.Path.Combine(here, text);
            return BackupLocation.Parse(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    /// <summary>
    /// The PowerShell location (not the process's working directory), for relative folder paths. Completion
    /// runs inside a pipeline, where SessionStateProxy refuses calls; a nested pipeline on this thread may ask.
    /// </summary>
    private static string? CurrentFileSystemLocation()
    {
        try
        {
            using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
            ps.AddCommand("Microsoft.PowerShell.Management\\Get-Location").AddParameter("PSProvider", "FileSystem");
            return ps.Invoke<PathInfo>().FirstOrDefault()?.ProviderPath;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    /// <summary>Runs a lookup for at most CompletionLookup.Budget; null on any failure or timeout.</summary>
    public static T? Bounded<T>(Func<CancellationToken, Task<T>> lookup) where T : class
    {
        using var cts = new CancellationTokenSource(CompletionLookup.Budget);
        try
        {
            // Off the pipeline thread, so a synchronous wait cannot deadlock on a captured context.
            var task = Task.Run(() => lookup(cts.Token), cts.Token);
            return task.Wait(CompletionLookup.Budget + TimeSpan.FromMilliseconds(500)) ? task.Result : null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    /// <summary>The word without the quote the user opened it with; quote is that quote character, if any.</summary>
    public static string Unquote(string? wordToComplete, out char? quote)
    {
        var word = wordToComplete ?? "";
        quote = null;
        if (word.Length > 0 && (word[0] == '\'' || word[0] == '"'))
        {
            quote = word[0];
            word = word.Substring(1);
            if (word.Length > 0 && word[word.Length - 1] == quote) word = word.Substring(0, word.Length - 1);
        }
        return word;
    }

    public static CompletionResult Result(string text, string listItem, string toolTip, char? quote)
    {
        string completion;
        if (quote == '"') completion = "\"" + text.Replace("`", "``").Replace("\"", "`\"").Replace("$", "`$") + "\"";
        else if (quote == '\'' || text.IndexOfAny(NeedsQuotes) >= 0) completion = "'" + text.Replace("'", "''") + "'";
        else completion = text;
        return new CompletionResult(completion, listItem, CompletionResultType.ParameterValue, toolTip);
    }
}
