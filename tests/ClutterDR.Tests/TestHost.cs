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
