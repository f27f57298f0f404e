using ClutterDR.Catalog;
using ClutterDR.Storage;

namespace ClutterDR.Repository;

/// <summary>What Clear-ClutterBackupDebris asked for.</summary>
public sealed record DebrisRequest
{
    public required BackupLocation Location { get; init; }
    public S3Options S3 { get; init; } = new();
    /// <summary>Only these databases' debris; null or empty: every database's under the location.</summary>
    public IReadOnlyList<string>? Databases { get; init; }
    /// <summary>Only debris older than this (a younger upload or partial file may be a backup running now).</summary>
    public TimeSpan OlderThan { get; init; } = DebrisService.DefaultMinimumAge;
}

/// <summary>
/// Finds and removes what interrupted backups left (<see cref="BackupRepository.ListDebrisAsync"/>): only
/// keys that are our backup names (<c>&lt;db&gt;/&lt;db&gt;_&lt;time&gt;.&lt;ext&gt;</c>), only of the databases asked for,
/// only older than a minimum age, so that a backup running right now keeps its upload.
/// </summary>
public static class DebrisService
{
    /// <summary>The default minimum age of debris: a day, far longer than any upload stays idle.</summary>
    public static readonly TimeSpan DefaultMinimumAge = TimeSpan.FromHours(24);

    /// <summary>Environment variable overriding the minimum age the backup's own clean-up uses ("0s" in tests, "2d").</summary>
    public const string MinimumAgeVariable = "CLUTTERDR_DEBRIS_MIN_AGE";

    /// <summary>The minimum age from <see cref="MinimumAgeVariable"/>, else <see cref="DefaultMinimumAge"/>.</summary>
    public static TimeSpan ConfiguredMinimumAge()
    {
        var text = Environment.GetEnvironmentVariable(MinimumAgeVariable);
        if (string.IsNullOrWhiteSpace(text)) return DefaultMinimumAge;
        if (Duration.TryParse(text, out var span) && span >= TimeSpan.Zero) return span;
        throw new ClutterException(Errors.InvalidDebrisAge,
            $"The environment variable {MinimumAgeVariable} is '{text}', which is not a duration. Set it to a duration with its unit, such as '24h', '2d' or '0s', or remove it for the default of 24 hours.",
            text);
    }

    /// <summary>This database's debris (or every database's, database null) older than olderThan.</summary>
    public static async Task<List<DebrisEntry>> FindAsync(BackupRepository repository, string? database, TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var folder = database is null ? null : BackupName.SafeFolderName(database);
        var cutoff = DateTime.UtcNow - olderThan;
        var found = new List<DebrisEntry>();
        await foreach (var d in repository.ListDebrisAsync(folder is null ? "" : folder + "/", cutoff, cancellationToken).ConfigureAwait(false))
        {
            if (FolderOf(d.Key) is not string owner || (folder is not null && owner != folder)) continue;
            found.Add(d);
        }
        found.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return found;
    }

    /// <summary>The database folder of a key that is one of our backup names (data object or manifest); else null.</summary>
    internal static string? FolderOf(string key)
    {
        var segments = key.Split('/');
        if (segments.Length != 2) return null;
        var name = BackupName.TryParse(segments[1]);
        return name is not null && name.DatabaseFolder == segments[0] ? segments[0] : null;
    }

    public static DebrisItem ToItem(DebrisEntry d) => new()
    {
        Location = d.Location,
        Database = FolderOf(d.Key) ?? "",
        Kind = d.Kind,
        Initiated = DateTime.SpecifyKind(d.StartedUtc, DateTimeKind.Utc),
        Size = d.Size,
        UploadId = d.UploadId,
    };

    public static string Describe(DebrisEntry d) =>
        d.Kind == DebrisKind.Claim
            ? $"the name claim {d.Location} (made {d.StartedUtc:yyyy-MM-dd HH:mm:ss}Z)"
            : $"{(d.Kind == DebrisKind.MultipartUpload ? "the multipart upload of" : "the partial file")} {d.Location} " +
              $"({(d.Size is long s ? Format.Bytes(s) : "size unknown")}, {(d.Kind == DebrisKind.MultipartUpload ? "initiated" : "last written")} {d.StartedUtc:yyyy-MM-dd HH:mm:ss}Z)";

    /// <summary>
    /// The backup's own clean-up, before it writes: removes this database's debris older than olderThan and
    /// says what at -Verbose. A failure (no right to list uploads, an endpoint without ListMultipartUploads)
    /// costs only the clean-up, never the backup.
    /// </summary>
    public static async Task RemoveForBackupAsync(BackupRepository repository, string database, TimeSpan olderThan, IEngineHost sink, CancellationToken cancellationToken)
    {
        List<DebrisEntry> found;
        try
        {
            found = await FindAsync(repository, database, olderThan, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            sink.Verbose($"Could not look for what earlier, interrupted backups of {database} left at {repository.Location}: {e.Message}");
            return;
        }
        foreach (var d in found)
        {
            try
            {
                await repository.RemoveDebrisAsync(d, cancellationToken).ConfigureAwait(false);
                sink.Verbose($"Removed what an interrupted backup left: {Describe(d)}.");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                sink.Verbose($"Could not remove {Describe(d)}: {e.Message}");
            }
        }
    }

    /// <summary>
    /// Clear-ClutterBackupDebris: lists the debris, asks the host to confirm each (ConfirmAsync: anything but
    /// Run skips it), removes it and hands it to the host (ItemAsync). Errors of one item go to the host
    /// (ProblemAsync) and the rest goes on.
    /// </summary>
    public static async Task RunAsync(DebrisRequest request, IEngineHost sink, CancellationToken cancellationToken)
    {
        if (request.OlderThan < TimeSpan.Zero)
            throw new ClutterException(Errors.InvalidDebrisAge,
                $"-OlderThan is negative ({request.OlderThan}). Give how old debris must be to be removed, such as '24h', or '0s' for all of it.", request.OlderThan);
        using var repository = BackupRepository.Open(request.Location, request.S3);
        await repository.EnsureReadableAsync(cancellationToken).ConfigureAwait(false);
        var databases = request.Databases is { Count: > 0 } dbs ? dbs.Distinct(StringComparer.Ordinal).Select(d => (string?)d).ToList() : new List<string?> { null };
        foreach (var database in databases)
        {
            var found = await FindAsync(repository, database, request.OlderThan, cancellationToken).ConfigureAwait(false);
            sink.Verbose($"Found {found.Count} unfinished upload{(found.Count == 1 ? "" : "s")} or partial file{(found.Count == 1 ? "" : "s")} older than {Format.Duration(request.OlderThan)}{(database is null ? "" : $" of {database}")} under {repository.Location}.");
            foreach (var d in found)
            {
                var item = ToItem(d);
                if ((await sink.ConfirmAsync([new PlannedChange(ActionOn(item), item.Location)]).ConfigureAwait(false))[0] != Consent.Run) continue;
                try
                {
                    await repository.RemoveDebrisAsync(d, cancellationToken).ConfigureAwait(false);
                    sink.Verbose($"Removed {Describe(d)}.");
                    await sink.ItemAsync(item).ConfigureAwait(false);
                }
                catch (ClutterException e)
                {
                    await sink.ProblemAsync(e).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>What removing a piece of debris does, as a confirmation prompt says it.</summary>
    public static string ActionOn(DebrisItem item) => item.Kind switch
    {
        DebrisKind.MultipartUpload => "Abort the unfinished multipart upload",
        DebrisKind.Claim => "Remove the name claim",
        _ => "Remove the partial file",
    };
}
