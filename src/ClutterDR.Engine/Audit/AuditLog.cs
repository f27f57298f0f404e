using ClutterDR.Backup;
using ClutterDR.Database;

namespace ClutterDR.Audit;

/// <summary>
/// The audit trail of one run (a backup, restore, sync or configuration backup), the one writer of its row: a
/// <c>running</c> row at the start, then <c>success</c> or <c>failed</c> with what the run made (<see cref="AuditSummary"/>)
/// or its ErrorId and message. Never fails the run: a write that fails is a warning through the host. Every text
/// it writes is scrubbed of the secrets the run knows (<see cref="SecretText"/>). The plan and job come from the
/// environment the plan runner sets: <see cref="PlanVariable"/>, <see cref="JobVariable"/>.
/// </summary>
public sealed class AuditLog
{
    /// <summary>The plan's name (or path), set by the plan runner for the steps it runs.</summary>
    public const string PlanVariable = "CLUTTERDR_PLAN";
    /// <summary>The job's name, set by the plan runner.</summary>
    public const string JobVariable = "CLUTTERDR_JOB";
    /// <summary>The audit database of every audited cmdlet not given -AuditConnectionString (a plan's audit database).</summary>
    public const string ConnectionVariable = "CLUTTERDR_AUDIT_CONNECTION_STRING";

    /// <summary>How long one audit write may take before it is given up (with a warning).</summary>
    public static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(15);

    private readonly PgConnectionSettings? _conn;
    private readonly IEngineHost _host;
    private readonly SecretText _secrets;
    private readonly TimeProvider _clock;
    private readonly string _display;
    private AuditRowStart? _start;
    private DateTime _startedUtc;
    private Guid? _id;
    private bool _finished;

    private AuditLog(PgConnectionSettings? conn, string display, IEngineHost host, SecretText secrets, TimeProvider clock)
    {
        _conn = conn; _display = display; _host = host; _secrets = secrets; _clock = clock;
    }

    /// <summary>An audit log for one run, or null when neither the parameter nor <see cref="ConnectionVariable"/> names a database.</summary>
    public static AuditLog? For(string? connectionString, IEngineHost host, SecretText secrets, TimeProvider? clock = null)
    {
        if (string.IsNullOrWhiteSpace(connectionString)) connectionString = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (string.IsNullOrWhiteSpace(connectionString)) return null;
        AddConnectionSecrets(secrets, connectionString);
        try
        {
            var conn = PgConnectionSettings.Parse(connectionString);
            return new AuditLog(conn, conn.Display, host, secrets, clock ?? TimeProvider.System);
        }
        catch (ClutterException e)
        {
            host.Warning($"The audit connection string cannot be used, so this run is not audited ({e.ErrorId}: {secrets.Scrub(e.Message)}); the run itself goes on.");
            return new AuditLog(null, "(unusable)", host, secrets, clock ?? TimeProvider.System);
        }
    }

    /// <summary>The database a connection string names, for the start row (null when it cannot be read: the run will say why).</summary>
    public static string? DatabaseOf(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString)) return null;
        try { return PgConnectionSettings.Parse(connectionString).Database; }
        catch (ClutterException) { return null; }
    }

    /// <summary>A connection string and its password (in whichever form it is written) as secrets to scrub.</summary>
    public static void AddConnectionSecrets(SecretText secrets, string connectionString)
    {
        secrets.Add(connectionString);
        try { secrets.Add(PgConnectionSettings.Parse(connectionString).Password); }
        catch (ClutterException) { /* unreadable: the whole string is scrubbed as it is */ }
    }

    /// <summary>Writes the running row (once; later calls do nothing).</summary>
    public async Task StartAsync(string type, string location, string? database)
    {
        if (_start is not null) return;
        _startedUtc = _clock.GetUtcNow().UtcDateTime;
        _start = new AuditRowStart(type, _secrets.Scrub(location), database, Environment.UserName, Environment.MachineName, BackupService.ToolName,
            Environment.GetEnvironmentVariable(PlanVariable), Environment.GetEnvironmentVariable(JobVariable));
        if (_conn is null) return;
        _id = await WriteAsync("start", ct => AuditTable.InsertAsync(_conn, _start, _startedUtc, ct)).ConfigureAwait(false);
        if (_id is not null) _host.Verbose($"Audit: run {_id} of type {type} recorded as running in {_display}.");
    }

    /// <summary>Writes the end of the run (once): success, or failed with the summary's error.</summary>
    public async Task FinishAsync(AuditSummary summary)
    {
        if (_finished || _start is null || _conn is null) return;
        _finished = true;
        var finish = summary.ToFinish(_secrets);
        var finishedUtc = _clock.GetUtcNow().UtcDateTime;
        // The start row could not be written (the audit database was down then): the whole row now, if it can be.
        _id ??= await WriteAsync("start", ct => AuditTable.InsertAsync(_conn, _start, _startedUtc, ct)).ConfigureAwait(false);
        if (_id is not Guid id) return;
        var done = await WriteAsync("end", async ct => { await AuditTable.FinishAsync(_conn, id, finish, _startedUtc, finishedUtc, ct).ConfigureAwait(false); return true; }).ConfigureAwait(false);
        if (done) _host.Verbose($"Audit: run {id} recorded as {finish.Status} in {_display}.");
    }

    /// <summary>One write, bounded by <see cref="WriteTimeout"/> and never by the run's token (a stopped run still records that it failed).</summary>
    private async Task<T?> WriteAsync<T>(string what, Func<CancellationToken, Task<T>> write)
    {
        using var timeout = new CancellationTokenSource(WriteTimeout);
        try
        {
            return await write(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var why = e is ClutterException ce ? $"{ce.ErrorId}: {ce.Message}" : e is OperationCanceledException ? $"no answer within {Format.Duration(WriteTimeout)}" : e.Message;
            _host.Warning($"The audit row ({what} of the run) could not be written to {_display}: {_secrets.Scrub(why)}. The run itself is not affected; run Initialize-ClutterAuditLog against that database if the table is missing.");
            return default;
        }
    }
}
