using System.Text.Json;
using ClutterDR.Catalog;
using ClutterDR.Storage;

namespace ClutterDR.Repository;

/// <summary>One drill in progress: its scratch database, the backup it restores (the data object's file name) and when it began.</summary>
public sealed record DrillLease(string ScratchDatabase, string BackupFileName, DateTime StartedUtc);

/// <summary>
/// The marker a running drill (Test-ClutterRestore) leaves beside the backups it uses, so that retention
/// never deletes a backup while it is being restored: <c>&lt;database folder&gt;/drills/&lt;scratch&gt;.running</c>,
/// a small JSON (never a secret). Written at the drill's start, removed at its end; one older than
/// <see cref="StaleAfter"/> is a killed drill's and no longer protects anything.
/// Drill results live in the same folder as <c>&lt;scratch&gt;.json</c>.
/// </summary>
public static class DrillLeases
{
    public const string Folder = "drills";
    public const string RunningSuffix = ".running";
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(24);

    public static string FolderKey(string databaseFolder) => $"{databaseFolder}/{Folder}/";
    public static string LeaseKey(string databaseFolder, string scratchDatabase) => $"{FolderKey(databaseFolder)}{scratchDatabase}{RunningSuffix}";

    /// <summary>Writes the lease of a drill about to restore <paramref name="backup"/>.</summary>
    public static async Task BeginAsync(BackupRepository repository, BackupName backup, string scratchDatabase, DateTime startedUtc, CancellationToken cancellationToken)
    {
        var lease = new DrillLease(scratchDatabase, backup.FileName, startedUtc);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(lease);
        await repository.Store.PutAsync(LeaseKey(backup.DatabaseFolder, scratchDatabase), bytes,
            new WriteOptions { ContentType = "application/json" }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the lease (one already gone is no error).</summary>
    public static Task EndAsync(BackupRepository repository, string databaseFolder, string scratchDatabase, CancellationToken cancellationToken) =>
        repository.Store.DeleteAsync(LeaseKey(databaseFolder, scratchDatabase), cancellationToken);

    /// <summary>The leases of running drills of one database folder younger than <see cref="StaleAfter"/>.</summary>
    public static async Task<List<DrillLease>> ListRunningAsync(BackupRepository repository, string databaseFolder, DateTime nowUtc, CancellationToken cancellationToken)
    {
        var running = new List<DrillLease>();
        await foreach (var e in repository.Store.ListAsync(FolderKey(databaseFolder), cancellationToken).ConfigureAwait(false))
        {
            if (!e.Key.EndsWith(RunningSuffix, StringComparison.Ordinal)) continue;
            if (nowUtc - e.LastModifiedUtc > StaleAfter) continue;
            try
            {
                await using var read = await repository.Store.OpenReadAsync(e.Key, cancellationToken).ConfigureAwait(false);
                if (await JsonSerializer.DeserializeAsync<DrillLease>(read, cancellationToken: cancellationToken).ConfigureAwait(false) is { } lease)
                    running.Add(lease);
            }
            catch (Exception ex) when (ex is ObjectNotFoundException or JsonException) { /* ended meanwhile, or not ours */ }
        }
        return running;
    }
}
