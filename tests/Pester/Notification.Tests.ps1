# Send-ClutterNotification against a real HTTP server on 127.0.0.1 (_TestListener.ps1): each format's body as received,
# a retry after one 503, heartbeats start -> success and start -> fail, a server that stays down (a non-terminating
# NotificationFailed that names the service without its token), and real ClutterDR results piped in.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    . (Join-Path $PSScriptRoot '_TestListener.ps1')
    $script:L = Start-TestListener
    $script:Root = New-TestFolder
    $script:Db = New-TestDatabase -Prefix 'ntf' -Sql 'create table t (id int); insert into t values (1)'
    $script:Info = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $Db) -Destination (Join-Path $Root 'b')
}
AfterAll { Stop-TestListener $L }

Describe 'Send-ClutterNotification' {
    BeforeEach { $null = Get-TestRequests $L }

    It 'posts JSON with status, type, database, location, size, duration, host and time' {
        $Info | Send-ClutterNotification -Uri "$($L.Url)/hook/json"
        $r = @(Get-TestRequests $L)
        $r.Count | Should -Be 1
        $r[0].Method | Should -Be 'POST'
        $r[0].Headers['Content-Type'] | Should -Match 'application/json'
        $j = $r[0].Body | ConvertFrom-Json
        $j.status | Should -Be 'success'
        $j.type | Should -Be 'database'
        $j.database | Should -Be $Db
        $j.location | Should -Be $Info.Location
        $j.sizeBytes | Should -Be $Info.SizeBytes
        $j.durationSeconds | Should -BeGreaterOrEqual 0
        $j.host | Should -Be ([Environment]::MachineName)
        [datetime]::Parse($j.time).ToUniversalTime() | Should -BeGreaterThan ([datetime]::UtcNow.AddMinutes(-5))
        $j.errorId | Should -BeNullOrEmpty
    }

    It 'posts Slack''s text and a Teams message card' {
        $Info | Send-ClutterNotification -Uri "$($L.Url)/hook/slack" -Format Slack
        $Info | Send-ClutterNotification -Uri "$($L.Url)/hook/teams" -Format Teams
        $r = @(Get-TestRequests $L)
        $slack = $r[0].Body | ConvertFrom-Json
        @($slack.PSObject.Properties.Name) | Should -Be @('text')
        $slack.text | Should -Match ([regex]::Escape($Db))
        $slack.text | Should -Match 'success'
        $teams = $r[1].Body | ConvertFrom-Json
        $teams.'@type' | Should -Be 'MessageCard'
        $teams.themeColor | Should -Be '2EB886'
        $teams.title | Should -Match $Db
        ($teams.sections[0].facts | Where-Object name -eq 'Location').value | Should -Be $Info.Location
    }

    It 'retries after one 503 and delivers once' {
        $L.State.Script.Enqueue(503)
        Send-ClutterNotification -Uri "$($L.Url)/hook/retry" -Status Success -Message 'nightly ok' -ErrorVariable err -Verbose 4>&1 | Out-String | Should -Match 'after 1 retry'
        $err | Should -BeNullOrEmpty
        $r = @(Get-TestRequests $L)
        $r.Count | Should -Be 2
        ($r[1].Body | ConvertFrom-Json).message | Should -Be 'nightly ok'
    }

    It 'does not retry a 4xx, and a failure is a non-terminating NotificationFailed without the URI''s token' {
        $L.State.Script.Enqueue(404)
        $out = Send-ClutterNotification -Uri "$($L.Url)/services/T000/B000/tok-SECRET-123?key=qs-SECRET-456" -Status Failed -ErrorAction SilentlyContinue -ErrorVariable err
        $out | Should -BeNullOrEmpty
        @(Get-TestRequests $L).Count | Should -Be 1
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotificationFailed,*'
        ($err[0] | Out-String) + $err[0].TargetObject | Should -Not -Match 'SECRET'
        $err[0].ToString() | Should -Match '404'
    }

    It 'a closed port: retried, then NotificationFailed, and the pipeline goes on with -PassThru' {
        $probe = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $probe.Start(); $port = $probe.LocalEndpoint.Port; $probe.Stop()
        $passed = $Info | Send-ClutterNotification -Uri "http://127.0.0.1:$port/x" -MaxRetries 1 -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
        $passed.Location | Should -Be $Info.Location
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotificationFailed,*'
        $err[0].ToString() | Should -Match '2 attempts'
    }

    It 'heartbeat: start, then success' {
        $hb = "$($L.Url)/ping/0f1e2d3c"
        Send-ClutterNotification -HeartbeatUri $hb -Status Start
        $Info | Send-ClutterNotification -HeartbeatUri $hb
        @(Get-TestRequests $L).Path | Should -Be @('/ping/0f1e2d3c/start', '/ping/0f1e2d3c')
    }

    It 'heartbeat: start, then fail for a failed run (an error record piped in), with the webhook told the ErrorId' {
        $hb = "$($L.Url)/ping/9a8b"
        Send-ClutterNotification -HeartbeatUri $hb -Status Start
        $null = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl 'no_such_db_ntf') -Destination (Join-Path $Root 'x') -ErrorAction SilentlyContinue -ErrorVariable failure
        $failure | Send-ClutterNotification -HeartbeatUri $hb -Uri "$($L.Url)/hook/fail"
        $r = @(Get-TestRequests $L)
        $r.Path | Should -Be @('/ping/9a8b/start', '/hook/fail', '/ping/9a8b/fail')
        $j = $r[1].Body | ConvertFrom-Json
        $j.status | Should -Be 'failed'
        $j.type | Should -Be 'database'
        $j.errorId | Should -Be 'DatabaseNotFound'
        $j.errorMessage | Should -Not -Match ([regex]::Escape($env:CLUTTERDR_TEST_PG_PASSWORD))
    }

    It 'refuses a URI that is not http(s), and a call with no target' {
        { Send-ClutterNotification -Uri 'ftp://127.0.0.1/x' -Status Success -ErrorAction Stop } | Should -Throw -ErrorId 'NotificationUriInvalid,*'
        { Send-ClutterNotification -Status Success -ErrorAction Stop } | Should -Throw -ErrorId 'NotificationUriInvalid,*'
    }
}
