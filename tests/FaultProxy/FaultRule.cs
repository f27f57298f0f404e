namespace ClutterDR.FaultProxy;

/// <summary>What a rule does to a request it fires on.</summary>
public enum FaultAction
{
    /// <summary>Answer Status with an S3 error body (ErrorCode) without forwarding; the request body is read and dropped.</summary>
    Respond,
    /// <summary>Forward the request head and Bytes bytes of its body, then cut both connections.</summary>
    CutRequest,
    /// <summary>Forward the request, relay the response head and Bytes bytes of its body, then cut both connections.</summary>
    CutResponse,
    /// <summary>Wait DelayMs, then forward as usual.</summary>
    Delay,
    /// <summary>Forward the request (the server applies it), drop the server's answer and answer Status/ErrorCode instead.</summary>
    ForwardThenRespond,
    /// <summary>Stop the proxy: the listener closes and every open connection is cut, this one included; it stays down until Start.</summary>
    Die,
}

/// <summary>
/// A fault for chosen requests: those with this Method (null: any), a path containing Path (null: any),
/// and every query predicate of Query ("partNumber=2&amp;uploadId": a key with that value, a key present).
/// Of the matching requests, the first Skip pass untouched, the next Times get the fault, later ones pass.
/// Settable from PowerShell: [ClutterDR.FaultProxy.FaultRule]@{ Method = 'PUT'; Query = 'partNumber=2'; Action = 'Respond' }.
/// </summary>
public sealed class FaultRule
{
    public string? Method { get; set; }
    public string? Path { get; set; }
    public string? Query { get; set; }
    public int Skip { get; set; }
    public int Times { get; set; } = int.MaxValue;
    public FaultAction Action { get; set; } = FaultAction.Respond;
    public int Status { get; set; } = 503;
    public string ErrorCode { get; set; } = "SlowDown";
    public long Bytes { get; set; }
    public int DelayMs { get; set; }

    private int _matched;
    private int _fired;

    /// <summary>Requests that matched the predicates so far (fired or not).</summary>
    public int Matched => Volatile.Read(ref _matched);
    /// <summary>Requests the fault was applied to so far.</summary>
    public int Fired => Volatile.Read(ref _fired);

    /// <summary>Counts a matching request; true when the fault applies to it. Called under the proxy's lock.</summary>
    internal bool Take()
    {
        var n = ++_matched;
        if (n <= Skip || (long)n > (long)Skip + Times) return false;
        _fired++;
        return true;
    }

    public bool Matches(string method, string path, string query) =>
        (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && (Path is null || path.Contains(Path, StringComparison.Ordinal))
        && QueryMatches(Query, query);

    internal static bool QueryMatches(string? predicates, string query)
    {
        if (string.IsNullOrEmpty(predicates)) return true;
        var parameters = ParseQuery(query);
        foreach (var p in predicates.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = p.IndexOf('=');
            var ok = eq < 0
                ? parameters.Any(kv => kv.Key == p)
                : parameters.Any(kv => kv.Key == p[..eq] && kv.Value == p[(eq + 1)..]);
            if (!ok) return false;
        }
        return true;
    }

    internal static List<KeyValuePair<string, string>> ParseQuery(string query)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var key = Uri.UnescapeDataString(eq < 0 ? part : part[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(part[(eq + 1)..]);
            list.Add(new(key, value));
        }
        return list;
    }

    public override string ToString() => $"{Action} {Method ?? "*"} {Path}?{Query} (skip {Skip}, times {Times}): matched {Matched}, fired {Fired}";
}

/// <summary>One request the proxy saw (logged when its head arrived, before any fault).</summary>
public sealed record ProxiedRequest(string Method, string Path, string Query, FaultAction? Fault)
{
    public override string ToString() => $"{Method} {Path}{(Query.Length > 0 ? "?" + Query : "")}{(Fault is null ? "" : $" [{Fault}]")}";
}
