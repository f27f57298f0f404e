namespace ClutterDR.Common;

/// <summary>One progress report: bytes (or items) done of an optional total, with rate and time left.</summary>
public sealed record ProgressUpdate(int Id, string Activity, string Status, long Done, long? Total, double? RatePerSecond, TimeSpan? Remaining, bool Completed);

/// <summary>A change the engine is about to make, for the host to confirm (ShouldProcess): what is done, to what.</summary>
public sealed record PlannedChange(string Action, string Target);

/// <summary>A host's answer to one planned change.</summary>
public enum Consent
{
    Run,
    /// <summary>Declined (-Confirm answered No): the change is skipped.</summary>
    Decline,
    /// <summary>Only reported (-WhatIf): counted as what would happen.</summary>
    WhatIf,
}

/// <summary>
/// The one way the engine talks to whoever runs it (a cmdlet, a console program, a test), without
/// PowerShell: progress, verbose and warning text, problems that do not stop the call, output items as
/// soon as they are ready, and confirmation of changes. Called from any thread. Progress, Verbose and
/// Warning only post; the awaitable members return once the host has taken the item (or answered).
/// </summary>
public interface IEngineHost
{
    void Progress(ProgressUpdate update);
    void Verbose(string message);
    void Warning(string message);

    /// <summary>
    /// A failure that does not stop the call (one damaged backup in a listing, one item of a sync): the host
    /// reports it (a cmdlet as a non-terminating error). Results made by the engine carry their problems too.
    /// </summary>
    ValueTask ProblemAsync(ClutterException problem);

    /// <summary>An output object, as soon as it is ready.</summary>
    ValueTask ItemAsync(object item);

    /// <summary>ShouldProcess for each planned change, in order, in one call (a host may answer them in one go).</summary>
    ValueTask<IReadOnlyList<Consent>> ConfirmAsync(IReadOnlyList<PlannedChange> changes);
}

/// <summary>A host that shows nothing, drops items and problems, and consents to every change.</summary>
public sealed class NullHost : IEngineHost
{
    public static readonly NullHost Instance = new();
    public void Progress(ProgressUpdate update) { }
    public void Verbose(string message) { }
    public void Warning(string message) { }
    public ValueTask ProblemAsync(ClutterException problem) => ValueTask.CompletedTask;
    public ValueTask ItemAsync(object item) => ValueTask.CompletedTask;
    public ValueTask<IReadOnlyList<Consent>> ConfirmAsync(IReadOnlyList<PlannedChange> changes) =>
        ValueTask.FromResult<IReadOnlyList<Consent>>(Enumerable.Repeat(Consent.Run, changes.Count).ToArray());
}
