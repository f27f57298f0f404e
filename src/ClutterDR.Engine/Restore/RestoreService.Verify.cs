using ClutterDR.Catalog;
using ClutterDR.Database;

namespace ClutterDR.Restore;

/// <summary>
/// After a restore: the target's row counts and table definitions against the manifest, and the errors they
/// raise; and the refusal of several backups given for one target.
/// </summary>
public sealed partial class RestoreService
{
    /// <summary>Several backups given for one target: refused before anything is restored.</summary>
    public static ClutterException MultipleBackups(IReadOnlyList<string> backups, string targetConnectionString, System.Net.NetworkCredential? credential)
    {
        var target = PgConnectionSettings.Parse(targetConnectionString, credential);
        return new ClutterException(Errors.MultipleBackupsForOneTarget,
            $"{backups.Count} backups were given for one target, {target.Display}: {string.Join(", ", backups.Take(5))}{(backups.Count > 5 ? ", ..." : "")}. Restoring them in turn would leave only the last one; nothing was restored. " +
            "Pick one (Get-ClutterBackup <location> -Database <name> -Latest), or restore each database into its own target.",
            target.Display);
    }

    /// <summary>The errors a finished restore's verification raises (its result's Problems): RowCountMismatch, DefinitionMismatch.</summary>
    private static IEnumerable<ClutterException> VerificationProblems(RestoreResult result)
    {
        var rows = result.Tables.Where(t => !t.RowsMatch).ToList();
        if (rows.Count > 0)
            yield return new ClutterException(Errors.RowCountMismatch,
                $"The restore into {result.Database} finished, but row counts differ from the backup's manifest: {string.Join("; ", rows)}. Check the target before using it.",
                result);
        var definitions = result.Tables.Where(t => t.RowsMatch && t.DefinitionMatches == false).Select(t => t.QualifiedName).ToList();
        if (definitions.Count > 0)
            yield return new ClutterException(Errors.DefinitionMismatch,
                $"The restore into {result.Database} finished, but the definition (columns, constraints, indexes, triggers or policies) of {string.Join(", ", definitions)} differs from the one the backup recorded. " +
                "Compare them (psql \\d) before using the target: a table restored without its keys or indexes is not what was backed up.",
                result);
    }

    private static async Task<TableVerification[]> VerifyAsync(PgConnectionSettings target, BackupManifest manifest, IReadOnlyList<(string Schema, string Name)>? selected, CancellationToken cancellationToken)
    {
        var expected = manifest.Tables.AsEnumerable();
        if (selected is not null) expected = expected.Where(t => selected.Contains((t.Schema, t.Name)));
        var want = expected.ToList();
        await using var c = await PgErrors.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        var actual = (await PgCatalog.ListRelationsAsync(c, cancellationToken).ConfigureAwait(false))
            .Where(r => r.HasRows).ToDictionary(r => (r.Schema, r.Name));
        var definitions = want.Any(t => t.Definition is not null)
            ? await TableDefinitions.ReadAsync(c, want.Where(t => actual.ContainsKey((t.Schema, t.Name))).Select(t => actual[(t.Schema, t.Name)]), cancellationToken).ConfigureAwait(false)
            : new Dictionary<(string Schema, string Name), string>();
        var result = new List<TableVerification>();
        foreach (var t in want)
        {
            long? rows = null;
            if (actual.TryGetValue((t.Schema, t.Name), out var rel))
                rows = await PgCatalog.CountRowsAsync(c, rel, cancellationToken).ConfigureAwait(false);
            result.Add(new TableVerification
            {
                Schema = t.Schema, Name = t.Name, ExpectedRows = t.Rows, ActualRows = rows,
                ExpectedDefinition = t.Definition, ActualDefinition = definitions.GetValueOrDefault((t.Schema, t.Name)),
            });
        }
        return result.ToArray();
    }
}
