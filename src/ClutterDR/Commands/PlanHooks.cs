using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Net;
using System.Security;
using ClutterDR.Audit;
using ClutterDR.Notify;
using ClutterDR.Plan;

namespace ClutterDR.Commands;

/// <summary>
/// What Invoke-ClutterBackupPlan does around each job with the targets its plan names once (Defaults.Audit, Notify,
/// HeartbeatUri): sets CLUTTERDR_PLAN, CLUTTERDR_JOB and CLUTTERDR_AUDIT_CONNECTION_STRING for the job's steps (each
/// audited cmdlet writes its own row), pings the heartbeat's /start, and at the end pings success or /fail and sends
/// one notification with the job's PlanResult. A target that cannot be resolved, a failed ping or notification is
/// a log line and a non-terminating error: it never changes the job's outcome.
/// </summary>
internal sealed class PlanHooks : IDisposable
{
    private static readonly string[] Variables = [AuditLog.PlanVariable, AuditLog.JobVariable, AuditLog.ConnectionVariable];

    private readonly PSCmdlet _cmdlet;
    private readonly BackupPlan _plan;
    private readonly IReadOnlyDictionary<string, object?> _secrets;
    private readonly Func<string, string?, object?>? _vault;
    private readonly Action<string, string, string, string?> _log;
    private readonly SecretText _scrub = new();
    private readonly QueueHost _host = new();
    private readonly Notifier _notifier;
    private readonly Dictionary<string, string?> _saved = new();
    private ResolvedTargets? _targets;

    /// <param name="log">(job, event, text, errorId): one plan log line.</param>
    public PlanHooks(PSCmdlet cmdlet, BackupPlan plan, IReadOnlyDictionary<string, object?> secrets, Func<string, string?, object?>? vault, Action<string, string, string, string?> log)
    {
        _cmdlet = cmdlet; _plan = plan; _secrets = secrets; _vault = vault; _log = log;
        _notifier = new Notifier(_host, _scrub);
        foreach (var value in secrets.Values) AddSecret(value);
        // The values behind the plan's environment references: no notification or log line may carry them.
        foreach (var value in plan.Defaults.Values.Concat(plan.Jobs.SelectMany(j => j.Steps).SelectMany(s => s.Parameters.Values)))
            if (value is IDictionary d && SecretReference.TryParse(d, "", []) is { Source: SecretSource.Environment } r)
                _scrub.Add(Environment.GetEnvironmentVariable(r.Name));
    }

    public void JobStarted(PlanJob job)
    {
        var problems = new List<ClutterException>();
        _targets = _plan.Targets.Resolve(job, _secrets, _vault, problems);
        foreach (var p in problems) Problem(job.Name, p);
        if (_targets.AuditConnectionString is string audit) AuditLog.AddConnectionSecrets(_scrub, audit);
        foreach (var v in Variables) _saved[v] = Environment.GetEnvironmentVariable(v);
        Environment.SetEnvironmentVariable(AuditLog.PlanVariable, _plan.Path);
        Environment.SetEnvironmentVariable(AuditLog.JobVariable, job.Name);
        if (_targets.AuditConnectionString is not null) Environment.SetEnvironmentVariable(AuditLog.ConnectionVariable, _targets.AuditConnectionString);
        if (_targets.Heartbeat is Uri hb) Send(job.Name, "heartbeat", () => _notifier.PingAsync(hb, NotificationStatus.Start, $"job {job.Name} started", CancellationToken.None));
    }

    public void JobFinished(PlanJob job, PlanResult result)
    {
        Restore();
        if (_targets is null) return;
        var e = NotificationEvent.From(result)!;
        foreach (var (uri, format) in _targets.Webhooks)
            Send(job.Name, "notified", () => _notifier.PostAsync(uri, e, format, CancellationToken.None), $"{format} {e.Status} to {SecretText.DisplayUri(uri)}");
        if (_targets.Heartbeat is Uri hb)
            Send(job.Name, "heartbeat", () => _notifier.PingAsync(hb, e.Status, e.Message, CancellationToken.None), e.Status);
        _targets = null;
    }

    private void Send(string job, string evt, Func<Task<bool>> send, string? what = null)
    {
        bool sent;
        try { sent = send().GetAwaiter().GetResult(); }
        catch (OperationCanceledException) { sent = false; }
        while (_host.Problems.TryDequeue(out var p)) Problem(job, p);
        while (_host.Warnings.TryDequeue(out var w)) _log(job, "warning", w, null);
        if (sent) _log(job, evt, what ?? NotificationStatus.Start, null);
    }

    private void Problem(string job, ClutterException p)
    {
        _log(job, "warning", _scrub.Scrub(p.Message), p.ErrorId);
        PlanStepRunner.WriteError(_cmdlet, ErrorRecords.From(p));
    }

    private void AddSecret(object? value)
    {
        switch (value is PSObject pso ? pso.BaseObject : value)
        {
            case string s: _scrub.Add(s); break;
            case SecureString ss: _scrub.Add(new NetworkCredential("", ss).Password); break;
            case PSCredential c: _scrub.Add(c.GetNetworkCredential().Password); break;
        }
    }

    /// <summary>The variables as they were before the job (also when the run ends by an exception).</summary>
    private void Restore()
    {
        foreach (var (k, v) in _saved) Environment.SetEnvironmentVariable(k, v);
        _saved.Clear();
    }

    public void Dispose()
    {
        Restore();
        _notifier.Dispose();
    }

    /// <summary>The notifier's host: what it reports is queued and written on the pipeline thread after each send.</summary>
    private sealed class QueueHost : IEngineHost
    {
        public readonly ConcurrentQueue<ClutterException> Problems = new();
        public readonly ConcurrentQueue<string> Warnings = new();
        public void Progress(ProgressUpdate update) { }
        public void Verbose(string message) { }
        public void Warning(string message) => Warnings.Enqueue(message);
        public ValueTask ProblemAsync(ClutterException problem) { Problems.Enqueue(problem); return ValueTask.CompletedTask; }
        public ValueTask ItemAsync(object item) => ValueTask.CompletedTask;
        public ValueTask<IReadOnlyList<Consent>> ConfirmAsync(IReadOnlyList<PlannedChange> changes) =>
            ValueTask.FromResult<IReadOnlyList<Consent>>(Enumerable.Repeat(Consent.Run, changes.Count).ToArray());
    }
}
