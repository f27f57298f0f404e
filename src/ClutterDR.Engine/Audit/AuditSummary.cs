using ClutterDR.Database;

namespace ClutterDR.Audit;

/// <summary>
/// What one run made, as its audit row records it: the output objects it wrote (BackupInfo, RestoreResult,
/// SyncSummary) and the first error it reported or stopped with. A run with an error is <c>failed</c>.
/// </summary>
public sealed class AuditSummary
{
    private readonly List<object> _items = new();
    private (string Id, string Message)? _error;

    public void Saw(object item) { lock (_items) _items.Add(item); }

    /// <summary>An error the run reported or stopped with; the first one is recorded.</summary>
    public void Failed(string errorId, string message) { lock (_items) _error ??= (errorId, message); }

    public void Failed(Exception e)
    {
        var inner = e is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerException! : e;
        switch (inner)
        {
            case ClutterException ce: Failed(ce.ErrorId, ce.Message); break;
            case OperationCanceledException: Failed(Errors.RunStopped.Id, "The run was stopped before it finished (Ctrl+C, a stop signal, or the pipeline ended)."); break;
            default: Failed(Errors.UnexpectedError.Id, $"{inner.GetType().Name}: {inner.Message}"); break;
        }
    }

    public bool HasError { get { lock (_items) return _error is not null; } }

    internal AuditRowFinish ToFinish(SecretText secrets)
    {
        object[] items;
        (string Id, string Message)? error;
        lock (_items) { items = _items.ToArray(); error = _error; }
        var locations = new List<string>();
        var databases = new List<string>();
        var hashes = new Dictionary<string, long>(StringComparer.Ordinal);
        long? size = null;
        foreach (var item in items)
        {
            switch (item)
            {
                case BackupInfo b:
                    locations.Add(b.Location); databases.Add(b.Database);
                    hashes[b.Sha256] = b.SizeBytes; // copies of one backup share their bytes: counted once
                    break;
                case RestoreResult r:
                    locations.Add(r.Backup); databases.Add(r.Database);
                    break;
                case SyncSummary s:
                    locations.Add(s.Destination); size = (size ?? 0) + s.Bytes;
                    if (s.Failed > 0) error ??= (Errors.SyncItemFailed.Id, $"{s.Failed} item(s) could not be synced.");
                    break;
            }
        }
        if (hashes.Count > 0) size = hashes.Values.Sum();
        string? Join(List<string> values) => values.Count == 0 ? null : secrets.Scrub(string.Join(", ", values.Distinct(StringComparer.Ordinal)));
        return new AuditRowFinish(error is null ? "success" : "failed", Join(locations), size, Join(databases),
            hashes.Count == 1 ? hashes.Keys.First() : null, error?.Id, error is null ? null : secrets.Scrub(error.Value.Message));
    }
}
