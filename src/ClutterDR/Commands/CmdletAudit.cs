using System.Collections.Concurrent;
using System.Management.Automation;
using System.Net;
using System.Reflection;
using System.Security;
using ClutterDR.Audit;

namespace ClutterDR.Commands;

/// <summary>
/// The cmdlet side of the audit trail, the one place every audited cmdlet goes through (AsyncCmdlet calls it
/// around each phase of a cmdlet whose -AuditConnectionString carries <see cref="AuditedAttribute"/>): one row per
/// call, running from its first phase, ended with success or failed when the call ends or stops. What the row
/// records (locations, sizes, the first error) comes from the objects and errors the cmdlet writes; every text is
/// scrubbed of the secrets among the bound parameters (connection strings, credentials, SecureStrings, URI tokens).
/// </summary>
internal sealed class CmdletAudit
{
    private static readonly ConcurrentDictionary<Type, (PropertyInfo Property, AuditedAttribute Attribute)?> Marked = new();

    private readonly PSCmdlet _cmdlet;
    private readonly AuditedAttribute _attribute;
    private readonly AuditLog _log;
    private readonly SecretText _secrets;
    private readonly AuditSummary _summary = new();

    private CmdletAudit(PSCmdlet cmdlet, AuditedAttribute attribute, AuditLog log, SecretText secrets)
    {
        _cmdlet = cmdlet; _attribute = attribute; _log = log; _secrets = secrets;
    }

    /// <summary>The audit of this call, or null: the cmdlet is not audited, or no audit database is named (parameter or CLUTTERDR_AUDIT_CONNECTION_STRING).</summary>
    public static CmdletAudit? For(PSCmdlet cmdlet, IEngineHost host)
    {
        var marked = Marked.GetOrAdd(cmdlet.GetType(), t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Attribute: p.GetCustomAttribute<AuditedAttribute>()))
            .Where(x => x.Attribute is not null).Select(x => ((PropertyInfo, AuditedAttribute)?)(x.Property, x.Attribute!)).FirstOrDefault());
        if (marked is not var (property, attribute)) return null;
        var secrets = new SecretText();
        Collect(cmdlet, secrets);
        var log = AuditLog.For(property.GetValue(cmdlet) as string, host, secrets);
        return log is null ? null : new CmdletAudit(cmdlet, attribute, log, secrets);
    }

    /// <summary>
    /// Runs one phase of the call: the running row before the first record (parameters bound from the pipeline are
    /// bound then), the end row after the last phase (last: true) or a failure. last: null is BeginProcessing.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> phase, CancellationToken cancellationToken, bool? last)
    {
        Collect(_cmdlet, _secrets);
        if (last is not null) await StartAsync().ConfigureAwait(false);
        try
        {
            await phase(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _summary.Failed(e);
            await StartAsync().ConfigureAwait(false);
            await _log.FinishAsync(_summary).ConfigureAwait(false);
            throw;
        }
        if (last == true) await _log.FinishAsync(_summary).ConfigureAwait(false);
    }

    private Task StartAsync() => _log.StartAsync(_attribute.Type, LocationText(), AuditLog.DatabaseOf(Value(_attribute.Database) as string));

    public void Saw(object item) => _summary.Saw(item is PSObject pso ? pso.BaseObject : item);

    public void Saw(ErrorRecord record)
    {
        if (record.Exception is ClutterException ce) _summary.Failed(ce.ErrorId, ce.Message);
        else _summary.Failed(record.FullyQualifiedErrorId.Split(',')[0], record.ErrorDetails?.Message ?? record.Exception.Message);
    }

    private object? Value(string? parameter) =>
        parameter is null ? null : _cmdlet.GetType().GetProperty(parameter)?.GetValue(_cmdlet);

    private string LocationText() => Value(_attribute.Location) switch
    {
        string s => s,
        IEnumerable<string> many => string.Join(", ", many),
        null => "",
        var other => other.ToString() ?? "",
    };

    /// <summary>The secrets among the bound parameters (and PGPASSWORD), for scrubbing.</summary>
    private static void Collect(PSCmdlet cmdlet, SecretText secrets)
    {
        secrets.Add(Environment.GetEnvironmentVariable("PGPASSWORD"));
        foreach (var (name, raw) in cmdlet.MyInvocation.BoundParameters)
        {
            var value = raw is PSObject pso ? pso.BaseObject : raw;
            switch (value)
            {
                case PSCredential c: secrets.Add(c.GetNetworkCredential().Password); break;
                case SecureString s: secrets.Add(new NetworkCredential("", s).Password); break;
                case string text when name.EndsWith("ConnectionString", StringComparison.OrdinalIgnoreCase): AuditLog.AddConnectionSecrets(secrets, text); break;
                case Uri uri: AddUri(secrets, uri); break;
                case string text when Uri.TryCreate(text, UriKind.Absolute, out var uri) && !uri.IsFile: AddUri(secrets, uri); break;
            }
        }
    }

    private static void AddUri(SecretText secrets, Uri uri)
    {
        if (uri.UserInfo.Length > 0) secrets.Add(Uri.UnescapeDataString(uri.UserInfo.Split(':', 2).Last()));
        if (uri.Query.Length > 1) secrets.Add(uri.Query.TrimStart('?'));
    }
}
