using System.Diagnostics;

namespace ClutterDR.Sync;

/// <summary>
/// Progress of a sync in files and bytes of the planned total, with rate and time left; reports at
/// most four times a second from any thread; Complete always sends the final record.
/// </summary>
internal sealed class SyncProgress
{
    private static int _nextId = 500;
    private readonly IEngineHost _sink;
    private readonly string _activity;
    private readonly int _totalItems;
    private readonly long _totalBytes;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly object _lock = new();
    private readonly int _id = Interlocked.Increment(ref _nextId) % 1000 + 1;
    private int _items;
    private long _bytes;
    private long _lastReportTicks = long.MinValue;
    private bool _completed;

    public SyncProgress(IEngineHost sink, string activity, int totalItems, long totalBytes)
    {
        _sink = sink; _activity = activity; _totalItems = totalItems; _totalBytes = totalBytes;
        Report(force: true);
    }

    public void ItemDone(long bytes)
    {
        lock (_lock)
        {
            _items++;
            _bytes += bytes;
        }
        Report(force: false);
    }

    private void Report(bool force)
    {
        ProgressUpdate update;
        lock (_lock)
        {
            if (_completed) return;
            var now = _watch.ElapsedTicks;
            if (!force && now - _lastReportTicks < Stopwatch.Frequency / 4) return;
            _lastReportTicks = now;
            var seconds = _watch.Elapsed.TotalSeconds;
            // Time left from whichever total dominates: bytes when there are any, else files.
            double? rate = seconds > 0.5 ? _bytes / seconds : null;
            double fraction = _totalBytes > 0 ? (double)_bytes / _totalBytes : _totalItems > 0 ? (double)_items / _totalItems : 1;
            TimeSpan? remaining = seconds > 0.5 && fraction > 0 && fraction < 1 ? TimeSpan.FromSeconds(seconds * (1 - fraction) / fraction) : null;
            var status = $"{_items:N0} of {_totalItems:N0} files, {Format.Bytes(_bytes)} of {Format.Bytes(_totalBytes)}"
                         + (rate is double r ? $" at {Format.Bytes((long)r)}/s" : "");
            var scale = 1_000_000L;
            update = new ProgressUpdate(_id, _activity, status, (long)(fraction * scale), scale, rate, remaining, false);
        }
        _sink.Progress(update);
    }

    public void Complete()
    {
        lock (_lock)
        {
            if (_completed) return;
            _completed = true;
        }
        _sink.Progress(new ProgressUpdate(_id, _activity, "Completed", _bytes, _totalBytes, null, null, true));
    }
}
