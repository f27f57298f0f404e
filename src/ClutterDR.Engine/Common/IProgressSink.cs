namespace ClutterDR.Common;

/// <summary>One progress report: bytes (or items) done of an optional total, with rate and time left.</summary>
public sealed record ProgressUpdate(int Id, string Activity, string Status, long Done, long? Total, double? RatePerSecond, TimeSpan? Remaining, bool Completed);

/// <summary>How the engine talks to whoever runs it (a cmdlet, a console host, a test), without PowerShell.</summary>
public interface IProgressSink
{
    void Progress(ProgressUpdate update);
    void Verbose(string message);
    void Warning(string message);
}

public sealed class NullProgressSink : IProgressSink
{
    public static readonly NullProgressSink Instance = new();
    public void Progress(ProgressUpdate update) { }
    public void Verbose(string message) { }
    public void Warning(string message) { }
}

/// <summary>
/// Tracks bytes through a long operation and reports at most a few times a second; Complete always
/// sends the final record.
/// </summary>
public sealed class ByteProgress
{
    private static int _nextId;
    private readonly IProgressSink _sink;
    private readonly string _activity;
    private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
    private long _lastReportTicks = -1;
    private bool _completed;

    public ByteProgress(IProgressSink sink, string activity, long? total)
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
