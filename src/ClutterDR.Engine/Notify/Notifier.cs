using System.Net;
using System.Net.Http.Headers;

namespace ClutterDR.Notify;

/// <summary>
/// Sends notifications over HTTP (no SDK): a webhook POST in one of <see cref="NotificationFormat"/>, and
/// healthchecks.io-style heartbeat pings (<c>&lt;uri&gt;/start</c>, <c>&lt;uri&gt;</c>, <c>&lt;uri&gt;/fail</c>). Transient failures
/// (5xx, 408, 429, timeouts, refused or reset connections) are retried by <see cref="RetryPolicy"/>. A notification
/// that still fails is a problem for the host (NotificationFailed, non-terminating), never an exception: it never
/// fails a backup. A URI is shown without its userinfo, query and path past the first segment (webhook tokens).
/// </summary>
public sealed class Notifier : IDisposable
{
    private readonly IEngineHost _host;
    private readonly SecretText _secrets;
    private readonly RetryPolicy _retry;
    private readonly HttpClient _http;

    public Notifier(IEngineHost host, SecretText secrets, int maxRetries = RetryPolicy.DefaultMaxRetries, TimeSpan? timeout = null, TimeSpan? baseDelay = null)
    {
        _host = host;
        _secrets = secrets;
        _retry = new RetryPolicy(maxRetries, baseDelay, classify: Classify);
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ClutterDR", Backup.BackupService.ToolName["ClutterDR ".Length..]));
    }

    /// <summary>An answer's status is transient when 5xx, 408 or 429; other answers are not; no answer: RetryPolicy judges.</summary>
    public static bool? Classify(Exception e) => e is HttpRequestException { StatusCode: HttpStatusCode code }
        ? (int)code >= 500 || code is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        : null;

    /// <summary>Checks that a URI can be notified (absolute http or https); the failure names it without its secrets.</summary>
    public static Uri Check(Uri uri, string parameter)
    {
        if (!uri.IsAbsoluteUri || uri.Scheme is not ("http" or "https"))
            throw new ClutterException(Errors.NotificationUriInvalid,
                $"-{parameter} must be an absolute http:// or https:// URI (such as a Slack or Teams incoming webhook, or https://hc-ping.com/<uuid>).",
                uri.IsAbsoluteUri ? SecretText.DisplayUri(uri) : parameter);
        return uri;
    }

    /// <summary>POSTs one notification; false when it could not be delivered (reported to the host).</summary>
    public async Task<bool> PostAsync(Uri uri, NotificationEvent e, NotificationFormat format, CancellationToken cancellationToken)
    {
        var body = NotificationPayloads.Build(e, format, _secrets);
        return await SendAsync(uri, body, $"the {format} notification ({e.Type} {e.Status})", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A heartbeat ping: start -> &lt;uri&gt;/start, success -> &lt;uri&gt;, failed -> &lt;uri&gt;/fail.</summary>
    public async Task<bool> PingAsync(Uri heartbeat, string status, string? message, CancellationToken cancellationToken)
    {
        var suffix = status switch { NotificationStatus.Start => "/start", NotificationStatus.Failed => "/fail", _ => "" };
        var builder = new UriBuilder(heartbeat);
        builder.Path = builder.Path.TrimEnd('/') + suffix;
        var body = System.Text.Encoding.UTF8.GetBytes(_secrets.Scrub(message ?? ""));
        return await SendAsync(builder.Uri, body, $"the heartbeat ping ({status})", cancellationToken, "text/plain").ConfigureAwait(false);
    }

    private async Task<bool> SendAsync(Uri uri, byte[] body, string what, CancellationToken cancellationToken, string contentType = "application/json")
    {
        _secrets.Add(uri.AbsoluteUri).Add(uri.Query.TrimStart('?')).Add(uri.UserInfo);
        var display = SecretText.DisplayUri(uri);
        var attempts = 0;
        try
        {
            await _retry.ExecuteAsync(async ct =>
            {
                attempts++;
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue(contentType) { CharSet = "utf-8" };
                using var response = await _http.PostAsync(uri, content, ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                    throw new HttpRequestException($"{display} answered {(int)response.StatusCode} ({response.ReasonPhrase})", null, response.StatusCode);
            }, cancellationToken).ConfigureAwait(false);
            _host.Verbose($"Sent {what} to {display}{(attempts > 1 ? $" (after {attempts - 1} retr{(attempts == 2 ? "y" : "ies")})" : "")}.");
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            var why = ex is TaskCanceledException ? $"no answer within {Format.Duration(_http.Timeout)}" : ex.Message;
            await _host.ProblemAsync(new ClutterException(Errors.NotificationFailed,
                $"{char.ToUpperInvariant(what[0])}{what[1..]} to {display} could not be delivered after {attempts} attempt{(attempts == 1 ? "" : "s")}: {_secrets.Scrub(why)}. Nothing else is affected; check the URI and that the service is reachable.",
                display)).ConfigureAwait(false);
            return false;
        }
    }

    public void Dispose() => _http.Dispose();
}
