# A real HTTP server on 127.0.0.1 for the notification and configuration tests (System.Net.HttpListener in a runspace
# of its own): it records every request (method, path, headers, body) and answers with the next status of a script
# (default 200); paths under /config/ serve $Listener.Document as JSON, but only to 'Authorization: Bearer <Token>'.
function Start-TestListener {
    $probe = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $probe.Start(); $port = $probe.LocalEndpoint.Port; $probe.Stop()
    $state = [hashtable]::Synchronized(@{
        Requests = [Collections.Concurrent.ConcurrentQueue[object]]::new()
        Script   = [Collections.Concurrent.ConcurrentQueue[int]]::new()
        Token    = ''
        Document = '{}'
        Delay    = 0
    })
    $http = [Net.HttpListener]::new()
    $http.Prefixes.Add("http://127.0.0.1:$port/")
    $http.Start()
    $ps = [powershell]::Create()
    $null = $ps.AddScript({
        param($http, $state)
        while ($http.IsListening) {
            try { $ctx = $http.GetContext() } catch { break }
            $req = $ctx.Request
            $reader = [IO.StreamReader]::new($req.InputStream, [Text.Encoding]::UTF8)
            $body = $reader.ReadToEnd()
            $headers = @{}; foreach ($k in $req.Headers.AllKeys) { $headers[$k] = $req.Headers[$k] }
            $state.Requests.Enqueue([pscustomobject]@{ Method = $req.HttpMethod; Path = $req.Url.AbsolutePath; Query = $req.Url.Query; Headers = $headers; Body = $body })
            $status = 200; $out = '{"ok":true}'
            if ($req.Url.AbsolutePath -like '/config/*') {
                if ($headers['Authorization'] -ceq "Bearer $($state.Token)") { $out = $state.Document } else { $status = 401; $out = '{"message":"unauthorized"}' }
            }
            else {
                $next = 0
                if ($state.Script.TryDequeue([ref]$next)) { $status = $next }
            }
            if ($state.Delay -gt 0) { Start-Sleep -Milliseconds $state.Delay }
            $bytes = [Text.Encoding]::UTF8.GetBytes($out)
            $ctx.Response.StatusCode = $status
            $ctx.Response.ContentType = 'application/json'
            try { $ctx.Response.OutputStream.Write($bytes, 0, $bytes.Length); $ctx.Response.Close() } catch { }
        }
    }).AddArgument($http).AddArgument($state)
    $handle = $ps.BeginInvoke()
    [pscustomobject]@{ Url = "http://127.0.0.1:$port"; State = $state; Http = $http; PowerShell = $ps; Handle = $handle }
}

function Get-TestRequests($Listener) {
    $r = $null; $all = @()
    while ($Listener.State.Requests.TryDequeue([ref]$r)) { $all += $r }
    $all
}

function Stop-TestListener($Listener) {
    if (-not $Listener) { return }
    $Listener.Http.Stop(); $Listener.Http.Close()
    $Listener.PowerShell.Stop(); $Listener.PowerShell.Dispose()
}
