using System.Collections.Concurrent;
using System.Management.Automation;

namespace ClutterDR.Commands;

/// <summary>
/// Base of every ClutterDR cmdlet: the work runs as a task on a worker thread while the pipeline
/// thread drains a queue of Write*/ShouldProcess requests (PowerShell allows those only on its own
/// thread). StopProcessing (Ctrl+C) cancels the token that reaches every Npgsql, S3 and child-process
/// call. Engine errors become ErrorRecords with their stable ErrorId, category and target.
/// </summary>
public abstract class AsyncCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private IEngineHost? _sink;
    private BlockingCollection<Action>? _queue;
    private int _pipelineThreadId;
    private PipelineStoppedException? _stopped;

    protected CancellationToken Cancellation => _cancel.Token;

    protected virtual Task BeginProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task ProcessRecordAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task EndProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected sealed override void BeginProcessing() => Run(BeginProcessingAsync);
    protected sealed override void ProcessRecord() => Run(ProcessRecordAsync);
    protected sealed override void EndProcessing() => Run(EndProcessingAsync);
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
            foreach (var action in queue.GetConsumingEnumerable())
                action();
        }
        catch (PipelineStoppedException)
        {
            _cancel.Cancel();
            throw;
        }
        finally
        {
            _queue = null;
        }

        if (_stopped is not null)
        {
            // A downstream command (Select-Object -First) stopped the pipeline while the worker ran: the
            // worker has seen cancellation and cleaned up; end quietly with PowerShell's own exception.
            task.Exception?.Handle(_ => true);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_stopped);
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

    /// <summary>Runs an action on the pipeline thread and waits for its result.</summary>
    private T OnPipeline<T>(Func<T> action)
    {
        if (Environment.CurrentManagedThreadId == _pipelineThreadId) return action();
        var queue = _queue ?? throw new InvalidOperationException("No pipeline call is in progress.");
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.Add(() =>
        {
            // Once the pipeline has stopped nothing more is written: the worker is told to stop instead.
            if (_stopped is not null) { done.SetException(new OperationCanceledException("The pipeline has been stopped.", _stopped, _cancel.Token)); return; }
            try { done.SetResult(action()); }
            catch (PipelineStoppedException e)
            {
                _stopped = e;
                _cancel.Cancel();
                done.SetException(new OperationCanceledException("The pipeline has been stopped.", e, _cancel.Token));
            }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task.GetAwaiter().GetResult();
    }

    private void OnPipeline(Action action) => OnPipeline(() => { action(); return true; });

    protected void EmitObject(object value) => OnPipeline(() => WriteObject(value));
    protected void EmitError(ErrorRecord record) => OnPipeline(() => WriteError(record));
    protected void EmitError(ClutterException e) => EmitError(ErrorRecords.From(e));
    protected void EmitVerbose(string message) => OnPipeline(() => WriteVerbose(message));
    protected void EmitWarning(string message) => OnPipeline(() => WriteWarning(message));
    /// <summary>
    /// ShouldProcess for one change. Where the host cannot ask (pwsh -NonInteractive, a scheduled job) and the
    /// change needs confirmation, a ConfirmationRequired error says how to go ahead, instead of PowerShell's
    /// "NonInteractive mode" exception.
    /// </summary>
    protected bool Confirm(string target, string action) => OnPipeline(() =>
    {
        try
        {
            return ShouldProcess(target, action);
        }
        catch (PSInvalidOperationException e)
        {
            throw new ClutterException(Errors.ConfirmationRequired,
                $"{action} on {target} needs confirmation (ConfirmImpact {ConfirmImpactOf(GetType())}), and this session cannot ask: it runs non-interactively (pwsh -NonInteractive, a scheduled job). " +
                "Add -Confirm:$false to go ahead without asking, or -WhatIf to see what it would do.", target, e);
        }
    });

    private static ConfirmImpact ConfirmImpactOf(Type type) =>
        (type.GetCustomAttributes(typeof(CmdletAttribute), true).FirstOrDefault() as CmdletAttribute)?.ConfirmImpact ?? ConfirmImpact.Medium;
    /// <summary>Runs work on the pipeline thread in one hop (e.g. ShouldProcess for thousands of items).</summary>
    protected T OnPipelineThread<T>(Func<T> action) => OnPipeline(action);

    /// <summary>
    /// The engine's progress, verbose and warning reports, written on the pipeline thread. An object of its
    /// own, not an interface of the cmdlet: a public type of this assembly must not name an engine type in
    /// its base types or interfaces, or PowerShell's scan of the assembly at import would load the engine
    /// before the module initializer has routed it into the private load context.
    /// </summary>
    protected IEngineHost Sink => _sink ??= new CmdletSink(this);

    private sealed class CmdletSink(AsyncCmdlet cmdlet) : IEngineHost
    {
        public void Progress(ProgressUpdate update) => cmdlet.OnPipeline(() => cmdlet.WriteProgress(ProgressRecords.From(update)));
        public void Verbose(string message) => cmdlet.EmitVerbose(message);
        public void Warning(string message) => cmdlet.EmitWarning(message);
        public ValueTask ProblemAsync(ClutterException problem) { cmdlet.EmitError(problem); return ValueTask.CompletedTask; }
        public ValueTask ItemAsync(object item) { cmdlet.EmitObject(item); return ValueTask.CompletedTask; }
        public ValueTask<IReadOnlyList<Consent>> ConfirmAsync(IReadOnlyList<PlannedChange> changes) =>
            ValueTask.FromResult<IReadOnlyList<Consent>>(cmdlet.OnPipeline(() => changes.Select(c => cmdlet.ConsentTo(c)).ToArray()));
    }

    /// <summary>ShouldProcess for one planned change; the overload with a reason tells -WhatIf from a No to -Confirm.</summary>
    private Consent ConsentTo(PlannedChange change)
    {
        var text = $"Performing the operation \"{change.Action}\" on target \"{change.Target}\".";
        var run = ShouldProcess(text, "Are you sure you want to perform this action?" + Environment.NewLine + text, "Confirm", out var reason);
        return run ? Consent.Run : reason == ShouldProcessReason.WhatIf ? Consent.WhatIf : Consent.Decline;
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
            EmitError(e);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException and not RuntimeException and not ClutterException)
        {
            EmitError(ErrorRecords.Unexpected(e, target));
            return null;
        }
    }

    public void Dispose()
    {
        _cancel.Dispose();
        GC.SuppressFinalize(this);
    }
}
