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
        var grants = result.Tables.Where(t => t.RowsMatch && t.DefinitionMatches != false && t.GrantsMatch == false).Select(t => t.QualifiedName).ToList();
        if (grants.Count > 0)
            yield return new ClutterException(Errors.GrantsMismatch,
                $"The restore into {result.Database} finished, but the grants on {string.Join(", ", grants)} differ from the ones the backup recorded. " +
                "Compare them (psql \\dp) before opening the database to its users: the target's default privileges may have widened them.",
                result);
        var definitions = result.Tables.Where(t => t.RowsMatch && t.DefinitionMatches == false).Select(t => t.QualifiedName).ToList();
        if (definitions.Count > 0)
            yield return new ClutterException(Errors.DefinitionMismatch,
                $"The restore into {result.Database} finished, but the definition (columns, constraints, indexes, triggers or policies) of {string.Join(", ", definitions)} differs from the one the backup recorded. " +
                "Compare them (psql \\d) before using the target: a table restored without its keys or indexes is not what was backed up.",
                result);
    }

    private static async Task<TableVerification[]> VerifyAsync(PgConnectionSettings target, BackupManifest manifest, IReadOnlyList<(string Schema, string Name)>? selected,
        ProfileRestorePlan? shaped, bool grantsComparable, CancellationToken cancellationToken)
    {
        var expected = manifest.Tables.AsEnumerable();
        if (selected is not null) expected = expected.Where(t => selected.Contains((t.Schema, t.Name)));
        // A shaped restore: the rows of the tables it loaded; definitions and grants of the tables it defined (a managed table keeps the platform's).
        if (shaped is not null) expected = expected.Where(t => shaped.DataTables.Contains((t.Schema, t.Name)));
        bool Defined(TableRowCount t) => shaped is null || shaped.DefinedTables.Contains((t.Schema, t.Name));
        var want = expected.ToList();
        await using var c = await PgErrors.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        var actual = (await PgCatalog.ListRelationsAsync(c, cancellationToken).ConfigureAwait(false))
            .Where(r => r.HasRows).ToDictionary(r => (r.Schema, r.Name));
        var definitions = want.Any(t => t.Definition is not null)
            ? await TableDefinitions.ReadAsync(c, want.Where(t => actual.ContainsKey((t.Schema, t.Name))).Select(t => actual[(t.Schema, t.Name)]), cancellationToken).ConfigureAwait(false)
            : new Dictionary<(string Schema, string Name), string>();
        var grants = grantsComparable && want.Any(t => t.Grants is not null)
            ? await TableDefinitions.ReadGrantsAsync(c, want.Where(t => actual.ContainsKey((t.Schema, t.Name))).Select(t => actual[(t.Schema, t.Name)]), cancellationToken).ConfigureAwait(false)
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
                ExpectedDefinition = Defined(t) ? t.Definition : null, ActualDefinition = definitions.GetValueOrDefault((t.Schema, t.Name)),
                ExpectedGrants = grantsComparable && Defined(t) ? t.Grants : null, ActualGrants = grants.GetValueOrDefault((t.Schema, t.Name)),
            });
        }
        return result.ToArray();
    }
}
