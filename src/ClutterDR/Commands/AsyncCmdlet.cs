using System.Collections.Concurrent;
using System.Management.Automation;
using System.Runtime.ExceptionServices;

namespace ClutterDR.Commands;

/// <summary>
/// Base of every ClutterDR cmdlet: the work runs as a task on a worker thread while the pipeline
/// thread drains one FIFO queue of Write*/ShouldProcess requests (PowerShell allows those only on its own
/// thread). Output, errors and confirmations are awaited by the worker (EmitObjectAsync, ...); progress,
/// verbose and warning text only post. StopProcessing (Ctrl+C) cancels the token that reaches every Npgsql,
/// S3 and child-process call. What PowerShell throws on the pipeline thread (PipelineStoppedException from
/// Select-Object -First, ActionPreferenceStopException from -ErrorAction Stop, a downstream command's error)
/// never reaches engine code: it cancels the worker, nothing more is written, and once the worker has
/// cleaned up it is rethrown on the pipeline thread, as PowerShell expects. Engine errors become
/// ErrorRecords with their stable ErrorId, category and target.
/// </summary>
public abstract class AsyncCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private IEngineHost? _sink;
    private BlockingCollection<Action>? _queue;
    private int _pipelineThreadId;
    private ExceptionDispatchInfo? _stop;

    protected CancellationToken Cancellation => _cancel.Token;

    protected virtual Task BeginProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task ProcessRecordAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task EndProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected sealed override void BeginProcessing() => Run(ct => AuditedAsync(BeginProcessingAsync, ct, last: null));
    protected sealed override void ProcessRecord() => Run(ct => AuditedAsync(ProcessRecordAsync, ct, last: false));
    protected sealed override void EndProcessing() => Run(ct => AuditedAsync(EndProcessingAsync, ct, last: true));

    /// <summary>The audit trail of a cmdlet whose -AuditConnectionString has [Audited] (CmdletAudit); others run as they are.</summary>
    private Task AuditedAsync(Func<CancellationToken, Task> phase, CancellationToken cancellationToken, bool? last)
    {
        if (!_auditResolved) { _audit = CmdletAudit.For(this, Sink); _auditResolved = true; }
        return _audit is null ? phase(cancellationToken) : _audit.RunAsync(phase, cancellationToken, last);
    }

    private CmdletAudit? _audit;
    private bool _auditResolved;
    protected override void StopProcessing() => _cancel.Cancel();

    private void Run(Func<CancellationToken, Task> work)
    {
        _pipelineThreadId = Environment.CurrentManagedThreadId;
        using var queue = new BlockingCollection<Action>();
        _queue = queue;
        var task = Task.Run(async () =>
        {
            try { await work(_cancel.Token).ConfigureAwait(false); }
            finally { queue.CompleteAdding(); }
        });
        try
        {
            // Every request catches what it throws (see Enqueue): the loop ends when the worker has.
            foreach (var action in queue.GetConsumingEnumerable())
                action();
        }
        finally
        {
            _queue = null;
        }

        if (_stop is not null)
        {
            // The pipeline stopped while the worker ran: the worker has seen cancellation and cleaned up;
            // end with what PowerShell threw (PipelineStopped: quietly; ActionPreferenceStop: that error).
            try { task.GetAwaiter().GetResult(); }
            catch (Exception) { /* cancelled, or failed while cancelled: the stop is what counts */ }
            _stop.Throw();
        }

        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (ClutterException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
        }
        catch (Exception e) when (e is not PipelineStoppedException and not ActionPreferenceStopException and not RuntimeException)
        {
            ThrowTerminatingError(ErrorRecords.Unexpected(e, null));
        }
    }

    /// <summary>What PowerShell threw on the pipeline thread stops the call: kept for Run, and the worker cancelled.</summary>
    private void Stop(Exception e)
    {
        if (_stop is not null) return;
        _stop = ExceptionDispatchInfo.Capture(e);
        try { _cancel.Cancel(); }
        catch (AggregateException) { /* a cancellation callback failed: the worker is cancelled all the same */ }
    }

    /// <summary>
    /// Queues a request for the pipeline thread, in order with every other; on the pipeline thread it runs at once.
    /// run is skipped (dropped is called instead) once the pipeline has stopped. A request that throws stops the call.
    /// </summary>
    private void Enqueue(Action run, Action? dropped = null)
    {
        void Request()
        {
            if (_stop is not null) { dropped?.Invoke(); return; }
            try { run(); }
            catch (Exception e) { Stop(e); dropped?.Invoke(); }
        }
        if (Environment.CurrentManagedThreadId == _pipelineThreadId) { Request(); return; }
        try
        {
            (_queue ?? throw new InvalidOperationException()).Add(Request);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // No pipeline call in progress (a late report after the work ended): nothing to write it to.
            dropped?.Invoke();
        }
    }

    /// <summary>
    /// Runs an action on the pipeline thread; the task ends once it has run. What PowerShell throws there stops the
    /// call and the task is cancelled; an engine error (a ClutterException) or a fault of our own goes to the worker.
    /// </summary>
    private Task<T> OnPipelineAsync<T>(Func<T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(() =>
        {
            T result;
            try { result = action(); }
            catch (Exception e) when (e is not RuntimeException) { done.TrySetException(e); return; }
            done.TrySetResult(result);
        }, () => done.TrySetCanceled(_cancel.Token));
        return done.Task;
    }

    private Task OnPipelineAsync(Action action) => OnPipelineAsync(() => { action(); return true; });

    /// <summary>Writes an output object; the task ends once it is written (a downstream command has taken it).</summary>
    protected Task EmitObjectAsync(object value) { _audit?.Saw(value); return OnPipelineAsync(() => WriteObject(value)); }
    protected Task EmitErrorAsync(ErrorRecord record) { _audit?.Saw(record); return OnPipelineAsync(() => WriteError(record)); }
    protected Task EmitErrorAsync(ClutterException e) => EmitErrorAsync(ErrorRecords.From(e));

    /// <summary>Posts a non-terminating error without waiting (from the pipeline thread itself, e.g. while resolving paths).</summary>
    protected void EmitError(ClutterException e) { _audit?.Saw(ErrorRecords.From(e)); Enqueue(() => WriteError(ErrorRecords.From(e))); }
    protected void EmitVerbose(string message) => Enqueue(() => WriteVerbose(message));
    protected void EmitWarning(string message) => Enqueue(() => WriteWarning(message));

    /// <summary>
    /// ShouldProcess for one change. Where the host cannot ask (pwsh -NonInteractive, a scheduled job) and the
    /// change needs confirmation, a ConfirmationRequired error says how to go ahead, instead of PowerShell's
    /// "NonInteractive mode" exception.
    /// </summary>
    protected async Task<bool> ConfirmAsync(string target, string action) =>
        await OnPipelineAsync(() => ConsentTo(new PlannedChange(action, target))).ConfigureAwait(false) == Consent.Run;

    private static ConfirmImpact ConfirmImpactOf(Type type) =>
        (type.GetCustomAttributes(typeof(CmdletAttribute), true).FirstOrDefault() as CmdletAttribute)?.ConfirmImpact ?? ConfirmImpact.Medium;

    /// <summary>Runs work on the pipeline thread in one hop (e.g. ShouldProcess for thousands of items).</summary>
    protected Task<T> OnPipelineThreadAsync<T>(Func<T> action) => OnPipelineAsync(action);

    /// <summary>Whether an item the engine reports (IEngineHost.ItemAsync) is written; a cmdlet may write only some.</summary>
    protected virtual bool WritesItem(object item) => true;

    /// <summary>
    /// The host the engine talks to. An object of its own, not an interface of the cmdlet: a public type of this
    /// assembly must not name an engine type in its base types or interfaces, or PowerShell's scan of the assembly
    /// at import would load the engine before the module initializer has routed it into the private load context.
    /// </summary>
    protected IEngineHost Sink => _sink ??= new CmdletSink(this);

    private sealed class CmdletSink(AsyncCmdlet cmdlet) : IEngineHost
    {
        public void Progress(ProgressUpdate update)
        {
            var record = ProgressRecords.From(update);
            cmdlet.Enqueue(() => cmdlet.WriteProgress(record));
        }

        public void Verbose(string message) => cmdlet.EmitVerbose(message);
        public void Warning(string message) => cmdlet.EmitWarning(message);
        public ValueTask ProblemAsync(ClutterException problem) => new(cmdlet.EmitErrorAsync(problem));
        public ValueTask ItemAsync(object item) => cmdlet.WritesItem(item) ? new(cmdlet.EmitObjectAsync(item)) : ValueTask.CompletedTask;
        public ValueTask<IReadOnlyList<Consent>> ConfirmAsync(IReadOnlyList<PlannedChange> changes) =>
            new(cmdlet.OnPipelineAsync<IReadOnlyList<Consent>>(() => changes.Select(c => cmdlet.ConsentTo(c)).ToArray()));
    }

    /// <summary>ShouldProcess for one planned change; the overload with a reason tells -WhatIf from a No to -Confirm.</summary>
    private Consent ConsentTo(PlannedChange change)
    {
        var text = $"Performing the operation \"{change.Action}\" on target \"{change.Target}\".";
        try
        {
            var run = ShouldProcess(text, "Are you sure you want to perform this action?" + Environment.NewLine + text, "Confirm", out var reason);
            return run ? Consent.Run : reason == ShouldProcessReason.WhatIf ? Consent.WhatIf : Consent.Decline;
        }
        catch (PSInvalidOperationException e)
        {
            throw new ClutterException(Errors.ConfirmationRequired,
                $"{change.Action} on {change.Target} needs confirmation (ConfirmImpact {ConfirmImpactOf(GetType())}), and this session cannot ask: it runs non-interactively (pwsh -NonInteractive, a scheduled job). " +
                "Add -Confirm:$false to go ahead without asking, or -WhatIf to see what it would do.", change.Target, e);
        }
    }

    /// <summary>
    /// Runs per-item work: a ClutterException becomes a non-terminating error and the pipeline goes on, unless its
    /// table entry is terminating (no pg_dump, bad syntax: the whole call is pointless) and it stops the pipeline.
    /// </summary>
    protected async Task<T?> PerItemAsync<T>(Func<Task<T?>> work, object? target) where T : class
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (ClutterException e) when (!e.Terminating)
        {
            await EmitErrorAsync(e).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException and not RuntimeException and not ClutterException)
        {
            await EmitErrorAsync(ErrorRecords.Unexpected(e, target)).ConfigureAwait(false);
            return null;
        }
    }

    public void Dispose()
    {
        _cancel.Dispose();
        GC.SuppressFinalize(this);
    }
}
