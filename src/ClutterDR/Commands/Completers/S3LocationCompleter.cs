using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using ClutterDR.Catalog;
using ClutterDR.Completion;
using ClutterDR.Storage;

namespace ClutterDR.Commands.Completers;

/// <summary>
/// Completes S3 locations: bucket names (ListBuckets) after "s3://", then one prefix level at a time
/// (a delimiter listing) after "s3://bucket/". The endpoint, region, profile and S3 credential come from
/// the parameters already typed, else from the AWS SDK defaults (AWS_ENDPOINT_URL_S3, AWS_PROFILE...).
/// A word that is not an s3:// location gets nothing, so PowerShell completes it as a path.
/// </summary>
public class S3LocationCompleter : IArgumentCompleter
{
    /// <summary>Also offer the complete backups (their manifest exists) at the current level.</summary>
    protected virtual bool OfferBackups => false;

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = CompletionSupport.Unquote(wordToComplete, out var quote);
        // null, not an empty list: PowerShell then completes the word as a file system path.
        if (!BackupLocation.LooksLikeS3(word)) return null!;
        var s3 = CompletionSupport.S3Options(fakeBoundParameters);
        var rest = word.Substring(5);
        var slash = rest.IndexOf('/');
        var results = new List<CompletionResult>();

        if (slash < 0)
        {
            var buckets = CompletionSupport.Bounded(ct => CompletionLookup.ListBucketsAsync(s3, ct));
            foreach (var b in buckets ?? Array.Empty<string>())
                if (b.StartsWith(rest, StringComparison.OrdinalIgnoreCase))
                    results.Add(CompletionSupport.Result($"s3://{b}/", b, $"S3 bucket s3://{b}", quote));
            return results;
        }

        var bucket = rest.Substring(0, slash);
        var keyPrefix = rest.Substring(slash + 1);
        if (bucket.Length == 0) return results;
        var level = CompletionSupport.Bounded(ct => CompletionLookup.ListS3LevelAsync(s3, bucket, keyPrefix, ct));
        if (level is null) return results;
        foreach (var p in level.Prefixes)
        {
            var name = p.TrimEnd('/');
            name = name.Substring(name.LastIndexOf('/') + 1) + "/";
            results.Add(CompletionSupport.Result($"s3://{bucket}/{p}", name, $"s3://{bucket}/{p}", quote));
        }
        if (OfferBackups)
        {
            foreach (var key in level.Keys)
            {
                if (!key.EndsWith(BackupName.ManifestSuffix, StringComparison.Ordinal)) continue;
                var data = key.Substring(0, key.Length - BackupName.ManifestSuffix.Length);
                if (BackupName.TryParse(data.Substring(data.LastIndexOf('/') + 1)) is null) continue;
                results.Add(CompletionSupport.Result($"s3://{bucket}/{data}", data.Substring(data.LastIndexOf('/') + 1), $"backup s3://{bucket}/{data}", quote));
            }
        }
        return results;
    }
}

/// <summary>Like S3LocationCompleter, and also offers the complete backups at each level (for a restore).</summary>
public sealed class S3BackupCompleter : S3LocationCompleter
{
    protected override bool OfferBackups => true;
}
