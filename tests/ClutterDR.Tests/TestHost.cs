namespace ClutterDR.Tests;

/// <summary>
/// A test's host that only looks at progress, verbose and warning text: items and problems are dropped and
/// every change is consented to, as <see cref="NullHost"/> does.
/// </summary>
internal interface ITestHost : IEngineHost
{
    ValueTask IEngineHost.ProblemAsync(ClutterException problem) => ValueTask.CompletedTask;
    ValueTask IEngineHost.ItemAsync(object item) => ValueTask.CompletedTask;
    ValueTask<IReadOnlyList<Consent>> IEngineHost.ConfirmAsync(IReadOnlyList<PlannedChange> changes) => NullHost.Instance.ConfirmAsync(changes);
}

/// <summary>A host that keeps the problems it is told of (from any thread); the rest is dropped, as <see cref="NullHost"/> does.</summary>
internal sealed class ProblemHost : ITestHost
{
    private readonly List<ClutterException> _problems = new();
    public IReadOnlyList<ClutterException> Problems { get { lock (_problems) return _problems.ToArray(); } }
    public void Progress(ProgressUpdate update) { }
    public void Verbose(string message) { }
    public void Warning(string message) { }
    ValueTask IEngineHost.ProblemAsync(ClutterException problem)
    {
        lock (_problems) _problems.Add(problem);
        return ValueTask.CompletedTask;
    }
}
