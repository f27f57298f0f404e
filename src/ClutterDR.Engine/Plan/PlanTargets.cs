using System.Collections;
using ClutterDR.Audit;
using ClutterDR.Database;
using ClutterDR.Notify;

namespace ClutterDR.Plan;

/// <summary>One webhook a plan notifies at the end of each job: its URI (or a secret reference to it) and format.</summary>
public sealed record PlanWebhook(object? Uri, NotificationFormat Format);

/// <summary>The plan's targets with their secret references resolved: what the runner hands to the audit and the notifier.</summary>
public sealed record ResolvedTargets(string? AuditConnectionString, IReadOnlyList<(Uri Uri, NotificationFormat Format)> Webhooks, Uri? Heartbeat);

/// <summary>
/// What a plan names once, in its Defaults, for every job rather than for a step: the audit database
/// (<c>Audit = @{ ConnectionString = ... }</c>), the webhooks notified once per job (<c>Notify = @( @{ Uri = ...;
/// Format = 'Json'|'Slack'|'Teams' } )</c>) and the heartbeat (<c>HeartbeatUri = ...</c>; a job's own HeartbeatUri
/// wins). Every value may be a secret reference (webhook URLs carry tokens). Pure: reading, shape checks, resolving.
/// </summary>
public sealed class PlanTargets
{
    /// <summary>The keys of Defaults that are the plan's, never passed to a step.</summary>
    public static readonly string[] Keys = ["Audit", "Notify", "HeartbeatUri"];

    public object? AuditConnectionString { get; init; }
    public IReadOnlyList<PlanWebhook> Webhooks { get; init; } = [];
    public object? HeartbeatUri { get; init; }

    public bool IsEmpty => AuditConnectionString is null && Webhooks.Count == 0 && HeartbeatUri is null;

    /// <summary>Takes the plan's keys out of Defaults (they are not step parameters) and checks their shape.</summary>
    public static PlanTargets Read(Dictionary<string, object?> defaults, Action<string> problem)
    {
        object? Take(string key) { defaults.Remove(key, out var v); return v; }
        object? audit = null;
        switch (Take("Audit"))
        {
            case null: break;
            case IDictionary a when a.Count == 1 && a.Keys.Cast<object?>().Single()?.ToString() is string k && k.Equals("ConnectionString", StringComparison.OrdinalIgnoreCase):
                audit = a[a.Keys.Cast<object>().Single()]; break;
            default: problem("Defaults.Audit must be @{ ConnectionString = <a PostgreSQL connection string, or a secret reference such as @{ FromEnvironment = 'AUDIT_URL' }> }."); break;
        }
        var hooks = new List<PlanWebhook>();
        var notify = Take("Notify") switch { null => [], IDictionary one => new object?[] { one }, IEnumerable many and not string => many.Cast<object?>().ToArray(), var other => new[] { other } };
        foreach (var n in notify)
        {
            const string shape = "Defaults.Notify must be a list of @{ Uri = <webhook URL or secret reference>; Format = 'Json', 'Slack' or 'Teams' }";
            if (n is not IDictionary d) { problem($"{shape}."); continue; }
            object? uri = null; string format = nameof(NotificationFormat.Json);
            foreach (DictionaryEntry e in d)
            {
                var key = e.Key?.ToString() ?? "";
                if (key.Equals("Uri", StringComparison.OrdinalIgnoreCase)) uri = e.Value;
                else if (key.Equals("Format", StringComparison.OrdinalIgnoreCase)) format = e.Value?.ToString() ?? "";
                else problem($"{shape}; '{key}' is not one of its keys.");
            }
            if (uri is null) problem($"{shape}; an entry has no Uri.");
            if (!Enum.TryParse<NotificationFormat>(format, ignoreCase: true, out var f) || int.TryParse(format, out _))
                problem($"{shape}; Format '{format}' is none of them.");
            else if (uri is not null) hooks.Add(new PlanWebhook(uri, f));
        }
        return new PlanTargets { AuditConnectionString = audit, Webhooks = hooks, HeartbeatUri = Take("HeartbeatUri") };
    }

    /// <summary>
    /// The targets of one job with every reference resolved; each target that cannot be used (a secret missing, a
    /// URI that is not http(s), a connection string that cannot be read) goes to problems and is left out.
    /// </summary>
    public ResolvedTargets Resolve(PlanJob? job, IReadOnlyDictionary<string, object?> secrets, Func<string, string?, object?>? vault, List<ClutterException> problems)
    {
        var audit = Text(AuditConnectionString, "Defaults.Audit.ConnectionString", secrets, vault, problems);
        if (audit is not null)
        {
            try { _ = PgConnectionSettings.Parse(audit); }
            catch (ClutterException e)
            {
                var secretsOf = new SecretText();
                AuditLog.AddConnectionSecrets(secretsOf, audit);
                problems.Add(new ClutterException(Errors.PlanInvalid, $"Defaults.Audit.ConnectionString cannot be read as a PostgreSQL connection string: {secretsOf.Scrub(e.Message)}", "Defaults.Audit.ConnectionString"));
                audit = null;
            }
        }
        var hooks = new List<(Uri, NotificationFormat)>();
        for (var i = 0; i < Webhooks.Count; i++)
            if (Http(Webhooks[i].Uri, $"Defaults.Notify[{i}].Uri", secrets, vault, problems) is Uri u) hooks.Add((u, Webhooks[i].Format));
        var heartbeat = job?.HeartbeatUri is not null ? Heartbeat(job, secrets, vault, problems) : Http(HeartbeatUri, "Defaults.HeartbeatUri", secrets, vault, problems);
        return new ResolvedTargets(audit, hooks, heartbeat);
    }

    /// <summary>A job's own HeartbeatUri, resolved and checked.</summary>
    public static Uri? Heartbeat(PlanJob job, IReadOnlyDictionary<string, object?> secrets, Func<string, string?, object?>? vault, List<ClutterException> problems) =>
        Http(job.HeartbeatUri, $"job '{job.Name}', HeartbeatUri", secrets, vault, problems);

    private static string? Text(object? value, string where, IReadOnlyDictionary<string, object?> secrets, Func<string, string?, object?>? vault, List<ClutterException> problems)
    {
        var reference = SecretReference.TryParse(value, where, problems);
        try
        {
            var v = reference is null ? value : reference.Resolve(where, secrets, vault);
            return v switch { null => null, string s => s, Uri u => u.OriginalString, System.Security.SecureString ss => new System.Net.NetworkCredential("", ss).Password, var o => o.ToString() };
        }
        catch (ClutterException e) { problems.Add(e); return null; }
    }

    private static Uri? Http(object? value, string where, IReadOnlyDictionary<string, object?> secrets, Func<string, string?, object?>? vault, List<ClutterException> problems)
    {
        var text = Text(value, where, secrets, vault, problems);
        if (text is null) return null;
        if (Uri.TryCreate(text, UriKind.Absolute, out var u) && u.Scheme is "http" or "https") return u;
        problems.Add(new ClutterException(Errors.NotificationUriInvalid,
            $"{where} must be an absolute http:// or https:// URI (a Slack or Teams incoming webhook, or https://hc-ping.com/<uuid>).", where));
        return null;
    }
}
