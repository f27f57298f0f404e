using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ClutterDR.FaultProxy;

/// <summary>
/// A byte-level HTTP/1.1 forwarder on 127.0.0.1 in front of one upstream server. Each client connection
/// gets its own upstream connection (keep-alive on both sides); request heads are parsed only to frame
/// bodies (Content-Length, chunked; Expect: 100-continue passes through) and to match rules; every byte
/// is forwarded as received, so SigV4-signed requests (the Host header the client signed) stay valid.
/// </summary>
public sealed class S3FaultProxy : IDisposable
{
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly object _lock = new();
    private readonly List<FaultRule> _rules = new();
    private readonly List<ProxiedRequest> _requests = new();
    private readonly HashSet<Socket> _open = new();
    private TcpListener? _listener;
    private CancellationTokenSource _stop = new();

    /// <param name="upstream">The server's base URL, e.g. http://127.0.0.1:9000 (loopback only).</param>
    public S3FaultProxy(string upstream)
    {
        var uri = new Uri(upstream);
        if (uri.Scheme != "http") throw new ArgumentException("Only an http upstream is supported.", nameof(upstream));
        _upstreamHost = uri.Host;
        _upstreamPort = uri.Port;
    }

    /// <summary>The port listened on (chosen on the first Start, kept across Stop/Start).</summary>
    public int Port { get; private set; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    public bool IsRunning => _listener is not null;

    private int _accepted;
    /// <summary>Client connections accepted so far: with keep-alive, far fewer than requests.</summary>
    public int AcceptedConnections => Volatile.Read(ref _accepted);

    /// <summary>Starts listening (on the port of the previous Start, if any). Returns this proxy.</summary>
    public S3FaultProxy Start()
    {
        lock (_lock)
        {
            if (_listener is not null) return this;
            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            _listener = listener;
            _stop = new CancellationTokenSource();
            _ = AcceptLoopAsync(listener, _stop.Token);
        }
        return this;
    }

    /// <summary>Dies: stops listening (new connections are refused) and cuts every open connection.</summary>
    public void Stop()
    {
        Socket[] open;
        lock (_lock)
        {
            if (_listener is null) return;
            _stop.Cancel();
            _listener.Stop();
            _listener = null;
            open = _open.ToArray();
            _open.Clear();
        }
        foreach (var s in open) Abort(s);
    }

    public void Dispose() => Stop();

    public FaultRule AddRule(FaultRule rule)
    {
        lock (_lock) _rules.Add(rule);
        return rule;
    }

    public void ClearRules()
    {
        lock (_lock) _rules.Clear();
    }

    /// <summary>Forgets the request log.</summary>
    public void ClearLog()
    {
        lock (_lock) _requests.Clear();
    }

    /// <summary>Every request seen so far, in arrival order.</summary>
    public IReadOnlyList<ProxiedRequest> Requests
    {
        get { lock (_lock) return _requests.ToArray(); }
    }

    /// <summary>Requests seen with this method (null: any) and query predicates (see FaultRule.Query), faulted or not.</summary>
    public int Count(string? method, string? query = null, string? path = null) =>
        Requests.Count(r => new FaultRule { Method = method, Query = query, Path = path }.Matches(r.Method, r.Path, r.Query));

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptSocketAsync(stop).ConfigureAwait(false); }
            catch (Exception) { return; } // stopped
            client.NoDelay = true;
            Interlocked.Increment(ref _accepted);
            if (!Track(client, stop)) { Abort(client); return; }
            _ = Task.Run(() => HandleAsync(client, stop), CancellationToken.None);
        }
    }

    private bool Track(Socket s, CancellationToken stop)
    {
        lock (_lock)
        {
            if (stop.IsCancellationRequested) return false;
            _open.Add(s);
            return true;
        }
    }

    private void Forget(Socket s)
    {
        lock (_lock) _open.Remove(s);
    }

    private static void Abort(Socket s)
    {
        try { s.LingerState = new LingerOption(true, 0); } catch (Exception) { }
        try { s.Close(); } catch (Exception) { }
    }

    private (FaultRule? Rule, ProxiedRequest Logged) Match(RequestHead head)
    {
        lock (_lock)
        {
            FaultRule? fire = null;
            foreach (var r in _rules)
                if (r.Matches(head.Method, head.Path, head.Query) && r.Take() && fire is null) fire = r;
            var logged = new ProxiedRequest(head.Method, head.Path, head.Query, fire?.Action);
            _requests.Add(logged);
            return (fire, logged);
        }
    }

    private async Task HandleAsync(Socket clientSocket, CancellationToken stop)
    {
        var client = new Conn(clientSocket);
        Conn? upstream = null;
        var keep = false; // false on the way out: cut, not closed politely
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var raw = await client.ReadHeadAsync(stop).ConfigureAwait(false);
                if (raw is null) { keep = true; break; }
                var head = RequestHead.Parse(raw);
                var (rule, _) = Match(head);
                switch (rule?.Action)
                {
                    case FaultAction.Die:
                        Stop();
                        return;
                    case FaultAction.Delay:
                        await Task.Delay(rule.DelayMs, stop).ConfigureAwait(false);
                        break;
                    case FaultAction.Respond:
                        if (head.ExpectContinue) await client.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 100 Continue\r\n\r\n"), stop).ConfigureAwait(false);
                        if (!await Body.RelayAsync(client, null, head.Framing, head.ContentLength, null, stop).ConfigureAwait(false)) return;
                        await client.WriteAsync(ErrorResponse(head, rule.Status, rule.ErrorCode, head.ConnectionClose), stop).ConfigureAwait(false);
                        if (head.ConnectionClose) { keep = true; return; }
                        continue;
                }

                if (upstream is null)
                {
                    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    if (!Track(s, stop)) { Abort(s); return; }
                    await s.ConnectAsync(_upstreamHost, _upstreamPort, stop).ConfigureAwait(false);
                    upstream = new Conn(s);
                }
                await upstream.WriteAsync(raw, stop).ConfigureAwait(false);

                var replace = rule?.Action == FaultAction.ForwardThenRespond;
                long? cutResponse = rule?.Action == FaultAction.CutResponse ? rule.Bytes : null;
                long? cutRequest = rule?.Action == FaultAction.CutRequest ? rule.Bytes : null;
                var response = RelayResponseAsync(upstream, client, head, replace, cutResponse, stop);
                var body = Body.RelayAsync(client, upstream, head.Framing, head.ContentLength, cutRequest, stop);
                var first = await Task.WhenAny(body, response).ConfigureAwait(false);
                if (first == body && !await body.ConfigureAwait(false)) return; // cut (or the client went away)
                var outcome = await response.ConfigureAwait(false);
                if (outcome == ResponseOutcome.Cut) return;
                var bodyDone = body.IsCompleted || await Task.WhenAny(body, Task.Delay(2000, stop)).ConfigureAwait(false) == body;
                if (!bodyDone || !await body.ConfigureAwait(false))
                    return; // the server answered before the body ended: the connection's framing is lost, close it
                if (replace)
                    await client.WriteAsync(ErrorResponse(head, rule!.Status, rule.ErrorCode, outcome == ResponseOutcome.Close || head.ConnectionClose), stop).ConfigureAwait(false);
                if (outcome == ResponseOutcome.Close || head.ConnectionClose) { keep = true; return; }
            }
        }
        catch (Exception)
        {
            // a cut, a stop or a peer gone: close below
        }
        finally
        {
            Forget(clientSocket);
            if (keep) { try { clientSocket.Shutdown(SocketShutdown.Both); } catch (Exception) { } clientSocket.Close(); }
            else Abort(clientSocket);
            if (upstream is not null) { Forget(upstream.Socket); Abort(upstream.Socket); }
        }
    }

    private enum ResponseOutcome { KeepAlive, Close, Cut }

    /// <summary>Relays interim (1xx) responses and the final one; with replace, the final one is read and dropped.</summary>
    private static async Task<ResponseOutcome> RelayResponseAsync(Conn upstream, Conn client, RequestHead request, bool replace, long? cutAfter, CancellationToken stop)
    {
        while (true)
        {
            var raw = await upstream.ReadHeadAsync(stop).ConfigureAwait(false) ?? throw new IOException("the server closed the connection before answering");
            var head = ResponseHead.Parse(raw);
            if (head.Status is >= 100 and < 200)
            {
                await client.WriteAsync(raw, stop).ConfigureAwait(false);
                continue;
            }
            if (!replace) await client.WriteAsync(raw, stop).ConfigureAwait(false);
            var framing = request.Method == "HEAD" || head.Status is 204 or 304 ? Framing.None : head.Framing;
            if (!await Body.RelayAsync(upstream, replace ? null : client, framing, head.ContentLength, cutAfter, stop).ConfigureAwait(false))
                return ResponseOutcome.Cut;
            return head.ConnectionClose || framing == Framing.UntilClose ? ResponseOutcome.Close : ResponseOutcome.KeepAlive;
        }
    }

    private static byte[] ErrorResponse(RequestHead request, int status, string code, bool close)
    {
        var message = code switch
        {
            "SlowDown" => "Please reduce your request rate.",
            "InternalError" => "We encountered an internal error. Please try again.",
            "ServiceUnavailable" => "Service is unable to handle request.",
            _ => "Injected by the fault proxy.",
        };
        var body = Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><Resource>{WebUtility.HtmlEncode(request.Path)}</Resource><RequestId>faultproxy</RequestId></Error>");
        var reason = status switch { 500 => "Internal Server Error", 503 => "Service Unavailable", 429 => "Too Many Requests", 400 => "Bad Request", 403 => "Forbidden", 404 => "Not Found", _ => "Error" };
        var headText = $"HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\nx-amz-request-id: faultproxy\r\nDate: {DateTime.UtcNow:R}\r\n{(close ? "Connection: close\r\n" : "")}\r\n";
        var headBytes = Encoding.ASCII.GetBytes(headText);
        return request.Method == "HEAD" ? headBytes : [.. headBytes, .. body];
    }
}

internal enum Framing { None, Length, Chunked, UntilClose }

internal sealed class RequestHead
{
    public string Method = "";
    public string Path = "";
    public string Query = "";
    public Framing Framing;
    public long ContentLength;
    public bool ExpectContinue;
    public bool ConnectionClose;

    public static RequestHead Parse(byte[] raw)
    {
        var lines = Encoding.Latin1.GetString(raw).Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length < 3) throw new IOException($"not an HTTP request line: {lines[0]}");
        var target = parts[1];
        var q = target.IndexOf('?');
        var head = new RequestHead { Method = parts[0], Path = q < 0 ? target : target[..q], Query = q < 0 ? "" : target[(q + 1)..] };
        var headers = Headers.Parse(lines);
        (head.Framing, head.ContentLength) = Headers.BodyFraming(headers, requestDefault: Framing.None);
        head.ExpectContinue = headers.TryGetValue("expect", out var e) && e.Contains("100-continue", StringComparison.OrdinalIgnoreCase);
        head.ConnectionClose = headers.TryGetValue("connection", out var c) && c.Contains("close", StringComparison.OrdinalIgnoreCase);
        return head;
    }
}

internal sealed class ResponseHead
{
    public int Status;
    public Framing Framing;
    public long ContentLength;
    public bool ConnectionClose;

    public static ResponseHead Parse(byte[] raw)
    {
        var lines = Encoding.Latin1.GetString(raw).Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length < 2 || !int.TryParse(parts[1], out var status)) throw new IOException($"not an HTTP status line: {lines[0]}");
        var headers = Headers.Parse(lines);
        var head = new ResponseHead { Status = status };
        (head.Framing, head.ContentLength) = Headers.BodyFraming(headers, requestDefault: Framing.UntilClose);
        head.ConnectionClose = headers.TryGetValue("connection", out var c) && c.Contains("close", StringComparison.OrdinalIgnoreCase);
        return head;
    }
}

internal static class Headers
{
    public static Dictionary<string, string> Parse(string[] lines)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var prior) ? prior + ", " + value : value;
        }
        return headers;
    }

    public static (Framing, long) BodyFraming(Dictionary<string, string> headers, Framing requestDefault)
    {
        if (headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            return (Framing.Chunked, 0);
        if (headers.TryGetValue("content-length", out var cl) && long.TryParse(cl, out var n))
            return n == 0 ? (Framing.None, 0) : (Framing.Length, n);
        return (requestDefault, 0);
    }
}

internal static class Body
{
    /// <summary>
    /// Relays one body from source to destination (null: read and drop). With cutAfter, stops after
    /// that many body bytes and returns false; also false when the source ends early.
    /// </summary>
    public static async Task<bool> RelayAsync(Conn source, Conn? destination, Framing framing, long length, long? cutAfter, CancellationToken stop)
    {
        long sent = 0;
        switch (framing)
        {
            case Framing.None:
                return cutAfter is null;
            case Framing.Length:
                return await CopyAsync(length).ConfigureAwait(false);
            case Framing.UntilClose:
                return await CopyAsync(long.MaxValue).ConfigureAwait(false) || cutAfter is null && source.AtEnd;
            case Framing.Chunked:
                while (true)
                {
                    var line = await source.ReadLineAsync(stop).ConfigureAwait(false);
                    if (line is null) return false;
                    if (destination is not null) await destination.WriteAsync(line, stop).ConfigureAwait(false);
                    var text = Encoding.ASCII.GetString(line).Trim();
                    var semi = text.IndexOf(';');
                    var size = Convert.ToInt64(semi < 0 ? text : text[..semi], 16);
                    if (size == 0)
                    {
                        while (true) // trailers, up to the empty line
                        {
                            var trailer = await source.ReadLineAsync(stop).ConfigureAwait(false);
                            if (trailer is null) return false;
                            if (destination is not null) await destination.WriteAsync(trailer, stop).ConfigureAwait(false);
                            if (trailer.Length <= 2) return cutAfter is null;
                        }
                    }
                    if (!await CopyAsync(size).ConfigureAwait(false)) return false;
                    var crlf = await source.ReadLineAsync(stop).ConfigureAwait(false);
                    if (crlf is null) return false;
                    if (destination is not null) await destination.WriteAsync(crlf, stop).ConfigureAwait(false);
                }
            default:
                return false;
        }

        async Task<bool> CopyAsync(long count)
        {
            while (count > 0)
            {
                var max = (int)Math.Min(count, 64 << 10);
                if (cutAfter is long cut) max = (int)Math.Min(max, cut - sent);
                if (max <= 0) return false; // cut here
                var chunk = await source.ReadSomeAsync(max, stop).ConfigureAwait(false);
                if (chunk.Length == 0) return false;
                if (destination is not null) await destination.WriteAsync(chunk, stop).ConfigureAwait(false);
                sent += chunk.Length;
                count -= chunk.Length;
            }
            return !(cutAfter is long c && sent >= c);
        }
    }
}

/// <summary>A socket with a read buffer: heads and lines are found in it, body bytes are served from it first.</summary>
internal sealed class Conn
{
    private readonly byte[] _buffer = new byte[128 << 10];
    private int _start;
    private int _end;

    public Conn(Socket socket) { Socket = socket; Stream = new NetworkStream(socket, ownsSocket: false); }

    public Socket Socket { get; }
    private NetworkStream Stream { get; }
    public bool AtEnd { get; private set; }

    public Task<byte[]?> ReadHeadAsync(CancellationToken stop) => ReadUntilAsync("\r\n\r\n"u8.ToArray(), stop);
    public Task<byte[]?> ReadLineAsync(CancellationToken stop) => ReadUntilAsync("\r\n"u8.ToArray(), stop);

    /// <summary>Bytes up to and including the delimiter; null at a clean end of stream before any byte.</summary>
    private async Task<byte[]?> ReadUntilAsync(byte[] delimiter, CancellationToken stop)
    {
        var searched = 0;
        while (true)
        {
            var from = Math.Max(0, searched - delimiter.Length);
            var at = _buffer.AsSpan(_start + from, _end - _start - from).IndexOf(delimiter);
            if (at >= 0)
            {
                var length = from + at + delimiter.Length;
                var result = _buffer.AsSpan(_start, length).ToArray();
                _start += length;
                return result;
            }
            searched = _end - _start;
            if (!await FillAsync(stop).ConfigureAwait(false))
            {
                if (_end == _start) return null;
                throw new IOException("the connection ended inside a head or line");
            }
        }
    }

    /// <summary>Up to max bytes: buffered ones first, else one read. Empty at end of stream. Valid until the next read.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadSomeAsync(int max, CancellationToken stop)
    {
        if (_end == _start && !await FillAsync(stop).ConfigureAwait(false)) return ReadOnlyMemory<byte>.Empty;
        var n = Math.Min(max, _end - _start);
        var chunk = new ReadOnlyMemory<byte>(_buffer, _start, n);
        _start += n;
        return chunk;
    }

    private async Task<bool> FillAsync(CancellationToken stop)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) throw new IOException("an HTTP head larger than the proxy's buffer");
        var n = await Stream.ReadAsync(_buffer.AsMemory(_end), stop).ConfigureAwait(false);
        if (n == 0) { AtEnd = true; return false; }
        _end += n;
        return true;
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken stop) => await Stream.WriteAsync(data, stop).ConfigureAwait(false);
}
