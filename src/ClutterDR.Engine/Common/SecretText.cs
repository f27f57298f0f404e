using System.Text.RegularExpressions;

namespace ClutterDR.Common;

/// <summary>
/// The secrets a call knows (passwords, passphrases, tokens, whole connection strings) and the scrubbing of any
/// text that leaves the process through a side channel (an audit row, a notification payload, a warning): each
/// known secret is replaced with ****, and so is what looks like one even when unknown (the password of a
/// URI's userinfo, a Password=/token= pair, a bearer token).
/// </summary>
public sealed partial class SecretText
{
    private readonly List<string> _secrets = new();

    /// <summary>Adds a secret (ignored when empty or shorter than 3 characters: it would scrub ordinary text).</summary>
    public SecretText Add(string? secret)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length < 3) return this;
        lock (_secrets)
        {
            if (!_secrets.Contains(secret)) _secrets.Add(secret);
            // Encoded forms a message may carry: URI-escaped and form-encoded.
            foreach (var form in new[] { Uri.EscapeDataString(secret), System.Net.WebUtility.UrlEncode(secret) })
                if (form != secret && !_secrets.Contains(form)) _secrets.Add(form);
            _secrets.Sort((a, b) => b.Length.CompareTo(a.Length)); // longest first: a secret inside another goes with it
        }
        return this;
    }

    public int Count { get { lock (_secrets) return _secrets.Count; } }

    /// <summary>The text with every known secret and every secret-looking part replaced with ****.</summary>
    public string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        string[] secrets;
        lock (_secrets) secrets = _secrets.ToArray();
        foreach (var s in secrets) text = text.Replace(s, "****", StringComparison.Ordinal);
        text = UserInfoPassword().Replace(text, "${1}****@");
        text = KeywordSecret().Replace(text, "${1}****");
        return BearerToken().Replace(text, "${1}****");
    }

    /// <summary>A URI for messages: without its userinfo and query (where tokens travel), e.g. https://hooks.example.com/services/...</summary>
    public static string DisplayUri(Uri uri) =>
        uri.IsAbsoluteUri ? $"{uri.Scheme}://{uri.Host}{(uri.IsDefaultPort ? "" : ":" + uri.Port)}{ShortPath(uri.AbsolutePath)}" : "(a relative URI)";

    /// <summary>The first segment of a path, then '/...': webhook paths are themselves the token (Slack, Teams, healthchecks.io).</summary>
    private static string ShortPath(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length == 0 ? "/" : segments.Length == 1 && segments[0].Length <= 12 ? "/" + segments[0] : "/" + (segments.Length > 1 ? segments[0] + "/..." : "...");
    }

    [GeneratedRegex(@"(://[^/\s:@]*:)[^@\s/]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UserInfoPassword();

    [GeneratedRegex(@"(?i)\b((?:password|pwd|passphrase|token|secret|api[_-]?key|access[_-]?token)\s*[=:]\s*)[^;&\s""']+", RegexOptions.CultureInvariant)]
    private static partial Regex KeywordSecret();

    [GeneratedRegex(@"(?i)\b(Bearer\s+)[A-Za-z0-9\-._~+/]+=*", RegexOptions.CultureInvariant)]
    private static partial Regex BearerToken();
}
