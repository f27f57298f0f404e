using System.Text.Json;
using System.Text.Json.Serialization;
using ClutterDR.Catalog;
using ClutterDR.Storage;

namespace ClutterDR.Repository;

/// <summary>
/// The recorded results of restore drills: <c>&lt;database folder&gt;/drills/&lt;scratch&gt;.json</c> beside the backups
/// (the folder of <see cref="DrillLeases"/>), one small JSON DrillResult each, never a secret; and their listing,
/// newest first, for Get-ClutterDrill and Test-ClutterBackupAge -MaxDrillAge. Backup listings never see them
/// (they are one folder deeper than manifests).
/// </summary>
public static class DrillRecords
{
    public const string Suffix = ".json";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Key(string databaseFolder, string scratchDatabase) => $"{DrillLeases.FolderKey(databaseFolder)}{scratchDatabase}{Suffix}";

    public static byte[] ToJson(DrillResult result) => JsonSerializer.SerializeToUtf8Bytes(result, Options);

    /// <summary>Writes the result of a drill of a backup in <paramref name="databaseFolder"/>; returns where.</summary>
    public static async Task<string> WriteAsync(BackupRepository repository, string databaseFolder, DrillResult result, CancellationToken cancellationToken)
    {
        var key = Key(databaseFolder, result.ScratchDatabase);
        await repository.PutAsync(key, ToJson(result), "application/json", null, cancellationToken).ConfigureAwait(false);
        return repository.Describe(key);
    }

    /// <summary>
    /// The recorded drills under a location (every database folder, or those of <paramref name="databases"/>), newest
    /// first. A record that cannot be read is reported to the host (ManifestInvalid names it) and skipped.
    /// </summary>
    public static async Task<List<DrillResult>> ListAsync(BackupRepository repository, IReadOnlyList<string>? databases, IEngineHost host, CancellationToken cancellationToken)
    {
        var folders = databases is { Count: > 0 } ? databases.Select(BackupName.SafeFolderName).Distinct().ToHashSet(StringComparer.Ordinal) : null;
        var keys = new List<string>();
        await foreach (var e in repository.ListAsync("", cancellationToken).ConfigureAwait(false))
        {
            var segments = e.Key.Split('/');
            // <db>/drills/<scratch>.json under a location, or drills/<scratch>.json when the location is one database's folder.
            if (segments.Length is not (2 or 3) || segments[^2] != DrillLeases.Folder || !segments[^1].EndsWith(Suffix, StringComparison.Ordinal)) continue;
            if (folders is not null && segments.Length == 3 && !folders.Contains(segments[0])) continue;
            keys.Add(e.Key);
        }
        var results = new List<DrillResult>();
        foreach (var key in keys)
        {
            var bytes = await repository.TryReadAllAsync(key, cancellationToken).ConfigureAwait(false);
            if (bytes is null) continue; // removed meanwhile
            try
            {
                if (JsonSerializer.Deserialize<DrillResult>(bytes, Options) is { } r && r.ScratchDatabase.Length > 0
                    && (databases is not { Count: > 0 } || databases.Contains(r.Database, StringComparer.Ordinal)))
                    results.Add(r);
            }
            catch (JsonException e)
            {
                await host.ProblemAsync(new ClutterException(Errors.ManifestInvalid,
                    $"The drill record '{repository.Describe(key)}' is not valid JSON, so it was skipped. Remove it, or run the drill again.", repository.Describe(key), e)).ConfigureAwait(false);
            }
        }
        return results.OrderByDescending(r => r.StartedUtc).ThenBy(r => r.Database, StringComparer.Ordinal).ToList();
    }
}
