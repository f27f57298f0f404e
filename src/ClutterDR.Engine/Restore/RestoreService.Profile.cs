using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Restore;

/// <summary>
/// A whole-database restore shaped for its target (-TargetKind): what the target is (a Supabase project is
/// known by its roles and managed schemas), and, for a Supabase project or a Supabase backup onto plain
/// PostgreSQL, the plan of what of the archive is restored how (ProfileRestorePlan), run as pg_restore -L | psql
/// in one transaction.
/// </summary>
public sealed partial class RestoreService
{
    /// <summary>The target's kind, and the plan of a shaped restore (null: the archive is restored whole, as before).</summary>
    private async Task<(TargetKind Kind, ProfileRestorePlan? Plan)> PlanForTargetAsync(RestoreRequest request, BackupManifest manifest, BackupRepository repository,
        string objectName, PgTool tool, string backupText, CancellationToken cancellationToken)
    {
        var target = request.Target;
        var exists = await PgDatabases.ExistsAsync(target, cancellationToken).ConfigureAwait(false);
        var facts = await PgPlatform.ReadAsync(target, exists, cancellationToken).ConfigureAwait(false);
        var kind = request.TargetKind;
        if (kind == TargetKind.Auto)
        {
            kind = facts.IsSupabase ? TargetKind.Supabase : TargetKind.PostgreSQL;
            _sink.Verbose(facts.IsSupabase
                ? $"The target {target.Display} is a Supabase project ({facts.Evidence}): restoring the project's own objects and rows, nothing the platform owns (-TargetKind Auto)."
                : $"The target {target.Display} is plain PostgreSQL{(exists ? $" ({facts.Evidence})" : " (a new database)")} (-TargetKind Auto).");
        }
        else if (kind == TargetKind.Supabase && !facts.IsSupabase)
            throw new ClutterException(Errors.TargetNotSupabase,
                $"-TargetKind Supabase was given, but {target.Display} is not a Supabase project ({(exists ? facts.Evidence : "the database does not exist")}). Nothing was changed. " +
                "Connect to the project's database (its direct connection, or the session pooler on port 5432), or use -TargetKind PostgreSQL.", target.Display);

        var shaped = kind == TargetKind.Supabase || request.CreateMissingRoles || request.NoPrivileges || manifest.Platform == "Supabase" || manifest.Roles is not null;
        if (!shaped || request.Tables.Count > 0) return (kind, null);
        if (manifest.Format != DumpFormat.Custom)
        {
            if (kind == TargetKind.PostgreSQL && !request.CreateMissingRoles && !request.NoPrivileges) return (kind, null);
            throw new ClutterException(Errors.TargetKindNeedsCustomFormat,
                $"'{backupText}' is a plain SQL dump, and a restore {(kind == TargetKind.Supabase ? "into a Supabase project" : "with -CreateMissingRoles or -NoPrivileges")} picks entries from an archive's table of contents, which it does not have. Nothing was changed. Restore a custom-format backup.",
                backupText);
        }
        var archive = await ReadArchiveObjectsAsync(repository, objectName, manifest, request.Decryption, tool, backupText, cancellationToken).ConfigureAwait(false);
        var options = new ProfileOptions
        {
            Kind = kind, Clean = request.Clean, NoOwner = request.NoOwner,
            CreateMissingRoles = request.CreateMissingRoles, NoPrivileges = request.NoPrivileges,
            StoredRoles = manifest.Roles is { } stored ? await ReadStoredRolesAsync(repository, stored, backupText, cancellationToken).ConfigureAwait(false) : new Dictionary<string, IReadOnlyList<string>>(),
        };
        if (kind == TargetKind.PostgreSQL && !ProfileRestorePlan.IsSupabaseArchive(archive) && !request.CreateMissingRoles && !request.NoPrivileges && manifest.Roles is null)
            return (kind, null);
        var plan = kind == TargetKind.Supabase ? ProfileRestorePlan.ForSupabase(archive, facts, options) : ProfileRestorePlan.ForPostgreSql(archive, facts, options);
        _sink.Verbose($"Restoring {plan.ListLines.Count} of the archive's {archive.Entries.Count} entries{(plan.LeftOut.Count > 0 ? "; left out: " + string.Join("; ", plan.LeftOut) : "")}.");
        if (plan.CreatedRoles.Count > 0)
            _sink.Verbose($"Creating {plan.CreatedRoles.Count} role{(plan.CreatedRoles.Count == 1 ? "" : "s")} the backup names and {target.Host}:{target.Port} lacks, in the restore's transaction: {string.Join(", ", plan.CreatedRoles)}.");
        foreach (var entry in plan.NotRestorable)
            _sink.Warning($"Not restored: {entry}.");
        return (kind, plan);
    }

    /// <summary>The roles a backup made with -IncludeRoles stored, checked against the manifest's SHA-256.</summary>
    private static async Task<Dictionary<string, IReadOnlyList<string>>> ReadStoredRolesAsync(BackupRepository repository, ManifestRoles roles, string backupText, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            await using var read = await repository.Store.OpenReadAsync(roles.Object, cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await read.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            bytes = buffer.ToArray();
        }
        catch (ObjectNotFoundException e)
        {
            throw new ClutterException(Errors.BackupObjectNotFound,
                $"The backup '{backupText}' was made with -IncludeRoles, but its roles object {repository.Describe(roles.Object)} is missing. Nothing was changed. Restore with -CreateMissingRoles or -NoPrivileges, or use another backup.",
                repository.Describe(roles.Object), e);
        }
        var sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();
        if (sha != roles.Sha256)
            throw new ClutterException(Errors.ChecksumMismatch,
                $"The roles object {repository.Describe(roles.Object)} of '{backupText}' does not match its manifest (SHA-256 {sha}, expected {roles.Sha256}). Nothing was changed. Restore with -CreateMissingRoles or -NoPrivileges, or use another backup.",
                repository.Describe(roles.Object));
        return PgRoles.Parse(System.Text.Encoding.UTF8.GetString(bytes));
    }

    private Task RestoreShapedAsync(RestoreRequest request, ProfileRestorePlan plan, BackupManifest manifest, BackupRepository repository, string objectName, PgTool pgRestore, string backupText, CancellationToken cancellationToken) =>
        RelayAsync(request, new Relay(plan.ListLines, plan.Prelude, "", $"Restoring {backupText} into {request.Target.Display} ({(plan.Kind == TargetKind.Supabase ? "a Supabase project" : "PostgreSQL")})",
            DataOnly: false, plan.Clean, plan.NoOwner, plan.NoPrivileges), manifest, repository, objectName, pgRestore, backupText, cancellationToken);
}
