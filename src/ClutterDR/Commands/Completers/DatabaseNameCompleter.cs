using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using ClutterDR.Completion;
using ClutterDR.Database;
using ClutterDR.Storage;

namespace ClutterDR.Commands.Completers;

/// <summary>
/// Completes database names. With -Location on the command line: the databases that have backups there
/// (the folders below the location), which is what Get-ClutterBackup / Test-ClutterBackupAge -Database
/// filter on. Otherwise, with -ConnectionString (or -TargetConnectionString) and optionally -Credential:
/// the databases on that server.
/// </summary>
public sealed class DatabaseNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = CompletionSupport.Unquote(wordToComplete, out var quote);
        IReadOnlyList<string>? names = null;
        string source;

        if (CompletionSupport.BoundString(fakeBoundParameters, "Location") is { } locationText)
        {
            var location = CompletionSupport.TryResolveLocation(locationText);
            if (location is null) return Array.Empty<CompletionResult>();
            var s3 = CompletionSupport.S3Options(fakeBoundParameters);
            names = CompletionSupport.Bounded(ct => CompletionLookup.ListRepositoryDatabasesAsync(location, s3, ct));
            source = $"backed up in {locationText}";
        }
        else if ((CompletionSupport.BoundString(fakeBoundParameters, "ConnectionString")
                  ?? CompletionSupport.BoundString(fakeBoundParameters, "TargetConnectionString")) is { } connectionString)
        {
            PgConnectionSettings settings;
            try
            {
                var credential = CompletionSupport.BoundValue(fakeBoundParameters, "Credential") as PSCredential;
                settings = PgConnectionSettings.Parse(connectionString, DatabaseCredential.From(credential));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return Array.Empty<CompletionResult>();
            }
            names = CompletionSupport.Bounded(ct => CompletionLookup.ListServerDatabasesAsync(settings, ct));
            source = $"on {settings.Host}:{settings.Port}";
        }
        else
        {
            return Array.Empty<CompletionResult>();
        }

        var results = new List<CompletionResult>();
        foreach (var n in names ?? Array.Empty<string>())
            if (n.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                results.Add(CompletionSupport.Result(n, n, $"database {n} ({source})", quote));
        return results;
    }
}
