using ClutterDR.Database;

namespace ClutterDR.Restore;

/// <summary>
/// The target of a restore, checked before anything changes: it exists (or may be created), holds nothing the
/// restore would overwrite unless -Clean, and for selected tables the plan of what is restored into it.
/// </summary>
internal static class RestoreTarget
{
    /// <summary>Whether the target exists, and the plan of a table restore (null for a whole database).</summary>
    public static async Task<(bool Exists, TableRestorePlan? Plan)> CheckAsync(RestoreRequest request, ArchiveObjects? archive,
        List<(string Schema, string Name)>? selected, bool supabase, CancellationToken cancellationToken)
    {
        var target = request.Target;
        var exists = await PgDatabases.ExistsAsync(target, cancellationToken).ConfigureAwait(false);
        if (!exists && !request.CreateDatabase)
            throw new ClutterException(Errors.DatabaseNotFound,
                $"The target database '{target.Database}' does not exist on {target.Host}:{target.Port}. Add -CreateDatabase to create it, or create it first.", target.Database);
        if (!exists && request.DataOnly)
            throw new ClutterException(Errors.DatabaseNotFound,
                $"-DataOnly loads rows into tables of an existing database, and '{target.Database}' does not exist on {target.Host}:{target.Port}. Leave out -DataOnly to restore whole tables into a new database.", target.Database);
        if (!exists)
            return (false, selected is null ? null : TableRestorePlan.ForTables(archive!, selected, new HashSet<(string, string)>()));

        await using var probe = await PgErrors.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        if (selected is null)
        {
            // A Supabase project's managed schemas are the platform's: a new project has their tables already.
            var relations = request.Clean ? [] : await PgCatalog.ListRelationsAsync(probe, cancellationToken).ConfigureAwait(false);
            if (relations.Any(r => !supabase || !PgPlatform.ManagedSchemas.Contains(r.Schema)))
                throw new ClutterException(Errors.TargetNotEmpty,
                    $"The target database '{target.Database}' on {target.Host}:{target.Port} already has {(supabase ? "project " : "")}tables. Add -Clean to replace what the backup contains (ConfirmImpact High), or restore into a new database with -CreateDatabase.",
                    target.Database);
            return (true, null);
        }
        if (request.DataOnly)
            return (true, await TableRestorePlan.ForDataAsync(archive!, selected, probe, request.Cascade, target.Display, cancellationToken).ConfigureAwait(false));
        var there = new HashSet<(string, string)>((await PgCatalog.ListRelationsAsync(probe, cancellationToken).ConfigureAwait(false)).Select(r => (r.Schema, r.Name)));
        var clash = selected.Where(there.Contains).Select(TableRestorePlan.Display).ToList();
        if (clash.Count > 0 && !request.Clean)
            throw new ClutterException(Errors.TargetNotEmpty,
                $"The target database '{target.Database}' on {target.Host}:{target.Port} already has {string.Join(", ", clash)}. Add -Clean to replace the whole table (definition, indexes, constraints, triggers, policies and rows; ConfirmImpact High), or -DataOnly to reload only its rows.",
                target.Database);
        return (true, TableRestorePlan.ForTables(archive!, selected, there));
    }

    /// <summary>What the confirmation asks about: which tables or rows, from which backup, and what is dropped or emptied first.</summary>
    public static string Action(RestoreRequest request, TableRestorePlan? plan, string backupText, DateTime backupStartedUtc)
    {
        var what = plan is null ? "" : (plan.DataOnly ? " rows of " : " tables ") + string.Join(", ", plan.Tables.Select(TableRestorePlan.Display)) + " from";
        var how = plan is { DataOnly: true } ? $", emptying those tables first{(plan.Cascaded.Count > 0 ? " and, through -Cascade, " + string.Join(", ", plan.Cascaded) : "")}"
            : request.Clean ? ", dropping existing objects first (-Clean)" : "";
        return $"Restore{what} backup {backupText} of {backupStartedUtc:u}{how}";
    }
}
