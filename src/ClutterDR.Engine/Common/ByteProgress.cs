namespace ClutterDR.Common;

/// <summary>
/// Tracks bytes through a long operation and reports at most a few times a second; Complete always
/// sends the final record.
/// </summary>
public sealed class ByteProgress
{
    private static int _nextId;
    private readonly IEngineHost _sink;
    private readonly string _activity;
    private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
    private long _lastReportTicks = -1;
    private bool _completed;

    public ByteProgress(IEngineHost sink, string activity, long? total)
    {
        _sink = sink; _activity = activity; Total = total;
        Id = Interlocked.Increment(ref _nextId) % 1000 + 1;
    }

    public int Id { get; }
    public long? Total { get; set; }
    public long Done { get; private set; }

    public void Report(long done, string? status = null)
    {
        Done = done;
        Total = ProgressEstimate.Total(done, Total); // an estimate that was passed grows, and stays grown
        var now = _watch.ElapsedTicks;
        if (_lastReportTicks >= 0 && now - _lastReportTicks < System.Diagnostics.Stopwatch.Frequency / 4) return;
        _lastReportTicks = now;
        var seconds = _watch.Elapsed.TotalSeconds;
        double? rate = seconds > 0.5 ? done / seconds : null;
        var remaining = ProgressEstimate.Remaining(done, Total, rate);
        _sink.Progress(new ProgressUpdate(Id, _activity, status ?? Describe(done, Total, rate), done, Total, rate, remaining, false));
    }

    public void Complete()
    {
        if (_completed) return;
        _completed = true;
        _sink.Progress(new ProgressUpdate(Id, _activity, "Completed", Done, Total, null, null, true));
    }

    public static string Describe(long done, long? total, double? rate)
    {
        var s = total is long t && t > 0 ? $"{Format.Bytes(done)} of ~{Format.Bytes(t)}" : Format.Bytes(done);
        return rate is double r ? $"{s} at {Format.Bytes((long)r)}/s" : s;
    }
}
