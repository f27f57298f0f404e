# A plan whose Defaults name the audit database, a webhook and a heartbeat, run as a scheduler runs it
# (pwsh -NonInteractive -File): one failing step and one good backup; the listener on 127.0.0.1 receives exactly one
# notification (failed) and the heartbeat start then fail; the audit table holds one row per audited step with the
# plan and job; the log is plain timestamped lines; no secret anywhere. Then targets that are down change nothing.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    . (Join-Path $PSScriptRoot '_TestListener.ps1')
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    $script:Root = New-TestFolder
    $script:Db = New-TestDatabase -Prefix 'plint' -Sql 'create table items (id int primary key, name text); insert into items select g, md5(g::text) from generate_series(1, 100) g'
    $script:Url = Get-TestPgUrl $Db
    $script:AuditDb = New-TestDatabase -Prefix 'plintaud'
    $script:AuditUrl = Get-TestPgUrl $AuditDb
    Initialize-ClutterAuditLog -ConnectionString $AuditUrl
    $script:L = Start-TestListener
    $script:HookToken = 'hooktoken-' + [guid]::NewGuid().ToString('N')
    $script:LineFormat = '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [A-Za-z0-9._-]+/[A-Za-z0-9._-]+ [a-z]+( \[[A-Za-z]+\])?( .*)?$'
    $probe = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $probe.Start(); $script:ClosedPort = $probe.LocalEndpoint.Port; $probe.Stop()

    function New-Plan([string]$Name, [string]$Defaults, [string]$Backups) {
        $p = Join-Path $Root "$Name.psd1"
        Set-Content -LiteralPath $p -Value @"
@{
    Defaults = @{ MaxRetries = 0; $Defaults }
    Jobs = @{
        nightly = @{
            Schedule = '0 2 * * *'
            Steps = @(
                @{ Name = 'broken'; Command = 'Backup-ClutterDatabase'; Parameters = @{ ConnectionString = 'postgresql://postgres@127.0.0.1:$ClosedPort/none'; Destination = '$Backups' } }
                @{ Name = 'backup'; Command = 'Backup-ClutterDatabase'; Parameters = @{ ConnectionString = @{ FromEnvironment = 'PLAN_TEST_DB_URL' }; Destination = '$Backups' } }
                @{ Name = 'age'; Command = 'Test-ClutterBackupAge'; DependsOn = 'backup'; Parameters = @{ Location = '$Backups'; MaxAge = '01:00:00' } }
            )
        }
    }
}
"@
        $p
    }
}

AfterAll { Stop-TestListener $L }

Describe 'Invoke-ClutterBackupPlan with the plan''s audit database, webhook and heartbeat' {
    BeforeAll {
        $script:Plan = New-Plan 'targets' "Audit = @{ ConnectionString = @{ FromEnvironment = 'PLAN_AUDIT_URL' } }; Notify = @( @{ Uri = @{ FromEnvironment = 'PLAN_HOOK_URL' }; Format = 'Json' } ); HeartbeatUri = '$($L.Url)/ping/nightly'" (Join-Path $Root 'backups')
        $script:Log = Join-Path $Root 'nightly.log'
        $script:Before = [datetime]::UtcNow.AddSeconds(-2)
        $script_ = Join-Path $Root 'job.ps1'
        Set-Content -LiteralPath $script_ -Value "Import-Module '$env:CLUTTERDR_MODULE_PATH'`nInvoke-ClutterBackupPlan -Path '$Plan' -LogPath '$Log'`n'after the plan'"
        $psi = [Diagnostics.ProcessStartInfo]::new($Pwsh)
        foreach ($a in '-NoProfile', '-NonInteractive', '-File', $script_) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
        $psi.Environment['PLAN_TEST_DB_URL'] = $Url
        $psi.Environment['PLAN_AUDIT_URL'] = $AuditUrl
        $psi.Environment['PLAN_HOOK_URL'] = "$($L.Url)/hook/$HookToken"
        $p = [Diagnostics.Process]::Start($psi)
        $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEndAsync()
        $p.WaitForExit()
        $script:Exit = $p.ExitCode; $script:Stdout = $out.Result; $script:Stderr = $err.Result
        $script:Lines = @(Get-Content -LiteralPath $Log)
        $script:Requests = @(Get-TestRequests $L)
    }

    It 'runs the good backup after the failing step and exits non-zero' {
        $Exit | Should -Be 1 -Because "stdout: $Stdout stderr: $Stderr"
        $Stdout | Should -Not -Match 'after the plan'
        @($Lines | Where-Object { $_ -match ' nightly/broken failed \[ServerUnreachable\] ' }).Count | Should -Be 1
        @($Lines | Where-Object { $_ -match ' nightly/backup succeeded 1 BackupInfo: ' }).Count | Should -Be 1
        @($Lines | Where-Object { $_ -match ' nightly/age succeeded' }).Count | Should -Be 1
    }

    It 'notifies exactly once, with the job''s PlanResult: failed, the job, one failed step and its ErrorId' {
        $posts = @($Requests | Where-Object Path -Like '/hook/*')
        $posts.Count | Should -Be 1
        $posts[0].Method | Should -Be 'POST'
        $body = $posts[0].Body | ConvertFrom-Json
        $body.status | Should -Be 'failed'
        $body.type | Should -Be 'plan'
        $body.plan | Should -Be 'targets.psd1'
        $body.job | Should -Be 'nightly'
        $body.stepsFailed | Should -Be 1
        $body.errorId | Should -Be 'ServerUnreachable'
        $body.errorMessage | Should -Match "step 'broken'"
        $body.message | Should -Match '2 step\(s\) succeeded, 1 failed, 0 skipped'
        $body.durationSeconds | Should -BeGreaterThan 0
    }

    It 'pings the heartbeat start when the job starts and fail when it ends, nothing else' {
        @($Requests | Where-Object Path -Like '/ping/*' | ForEach-Object Path) | Should -Be @('/ping/nightly/start', '/ping/nightly/fail')
    }

    It 'each audited step wrote one row with the plan and job, success or failed with its ErrorId' {
        $rows = @(Get-ClutterAuditLog -ConnectionString $AuditUrl -Since $Before)
        $rows.Count | Should -Be 2
        foreach ($r in $rows) { $r.Plan | Should -Be $Plan; $r.Job | Should -Be 'nightly' }
        $failed = @($rows | Where-Object Status -EQ failed)
        $failed.Count | Should -Be 1
        $failed[0].ErrorId | Should -Be 'ServerUnreachable'
        $ok = @($rows | Where-Object Status -EQ success)
        $ok.Count | Should -Be 1
        $ok[0].Database | Should -Be $Db
    }

    It 'logs plain timestamped lines, the notification and heartbeats among them' {
        foreach ($line in $Lines) { $line | Should -Match $LineFormat }
        (Get-Content -Raw -LiteralPath $Log) | Should -Not -Match "\x1B"
        @($Lines | Where-Object { $_ -match ' nightly/- notified Json failed to http://127\.0\.0\.1:\d+/hook' }).Count | Should -Be 1
        @($Lines | Where-Object { $_ -match ' nightly/- heartbeat (start|failed)$' }).Count | Should -Be 2
    }

    It 'no secret in the payloads, the log, the output or the audit rows' {
        $all = (Get-Content -Raw -LiteralPath $Log) + $Stdout + $Stderr + (($Requests | ForEach-Object Body) -join "`n") +
            ((Get-ClutterAuditLog -ConnectionString $AuditUrl -Since $Before | ForEach-Object { "$($_.Location) $($_.ErrorMessage)" }) -join "`n")
        $all | Should -Not -Match ([regex]::Escape($env:CLUTTERDR_TEST_PG_PASSWORD))
        $all | Should -Not -Match ([regex]::Escape($HookToken))
        $all | Should -Not -Match ([regex]::Escape($AuditUrl))
    }
}

Describe 'Targets that are down or unresolved never change the plan''s outcome' {
    It 'a webhook, heartbeat and audit database on a closed port: warnings and NotificationFailed, the job still as its steps ended' {
        $closed = "http://127.0.0.1:$ClosedPort"
        $plan = Join-Path $Root 'down.psd1'
        Set-Content -LiteralPath $plan -Value "@{ Defaults = @{ Audit = @{ ConnectionString = 'postgresql://postgres:pw-never-shown-9Z@127.0.0.1:$ClosedPort/audit' }; Notify = @{ Uri = '$closed/hook'; Format = 'Slack' }; HeartbeatUri = '$closed/ping' }; Jobs = @{ j = @{ Schedule = '@daily'; Steps = @( @{ Name = 'backup'; Command = 'Backup-ClutterDatabase'; Parameters = @{ ConnectionString = '$Url'; Destination = '$(Join-Path $Root 'down')' } } ) } } }"
        $r = Invoke-ClutterBackupPlan -Path $plan -ErrorVariable errs -ErrorAction SilentlyContinue -WarningVariable warns -WarningAction SilentlyContinue
        $r.Status | Should -Be 'Succeeded'
        @($errs | Where-Object FullyQualifiedErrorId -Like 'PlanFailed*').Count | Should -Be 0
        @($errs | Where-Object FullyQualifiedErrorId -Like 'NotificationFailed*').Count | Should -Be 3 -Because 'heartbeat start, the webhook, heartbeat fail/success'
        Test-Path $r.Steps[0].Objects[0].Location | Should -BeTrue
        ($errs | Out-String) + ($warns | Out-String) | Should -Not -Match 'pw-never-shown'
        $env:CLUTTERDR_AUDIT_CONNECTION_STRING | Should -BeNullOrEmpty -Because 'the job''s variables are restored after it'
        $env:CLUTTERDR_JOB | Should -BeNullOrEmpty
    }

    It 'a webhook secret that is not set: a PlanSecretMissing error, the steps run' {
        $plan = Join-Path $Root 'unset.psd1'
        Set-Content -LiteralPath $plan -Value "@{ Defaults = @{ Notify = @( @{ Uri = @{ FromEnvironment = 'PLAN_NO_SUCH_HOOK' } } ) }; Jobs = @{ j = @{ Schedule = '@daily'; Steps = @( @{ Name = 'log'; Command = 'Get-ClutterAuditLog'; Parameters = @{ ConnectionString = '$AuditUrl'; Last = 1 } } ) } } }"
        $r = Invoke-ClutterBackupPlan -Path $plan -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Succeeded'
        @($errs | Where-Object FullyQualifiedErrorId -Like 'PlanSecretMissing*').Count | Should -Be 1
    }
}

Describe 'Test-ClutterBackupPlan checks the plan''s targets' {
    It 'reports <Case> as <ErrorId>' -ForEach @(
        @{ Case = 'an unknown Format'; Defaults = "Notify = @( @{ Uri = 'http://127.0.0.1:1/h'; Format = 'Email' } )"; ErrorId = 'PlanInvalid' }
        @{ Case = 'a webhook that is not http(s)'; Defaults = "Notify = @{ Uri = 'ftp://127.0.0.1/h' }"; ErrorId = 'NotificationUriInvalid' }
        @{ Case = 'a heartbeat that is not a URI'; Defaults = "HeartbeatUri = 'not a uri'"; ErrorId = 'NotificationUriInvalid' }
        @{ Case = 'an audit secret that is not set'; Defaults = "Audit = @{ ConnectionString = @{ FromEnvironment = 'PLAN_NO_SUCH_AUDIT' } }"; ErrorId = 'PlanSecretMissing' }
        @{ Case = 'an Audit of the wrong shape'; Defaults = "Audit = 'postgresql://127.0.0.1/a'"; ErrorId = 'PlanInvalid' }
    ) {
        $plan = Join-Path $Root "bad-$([guid]::NewGuid().ToString('N')).psd1"
        Set-Content -LiteralPath $plan -Value "@{ Defaults = @{ $Defaults }; Jobs = @{ j = @{ Schedule = '@daily'; Steps = @( @{ Name = 'age'; Command = 'Test-ClutterBackupAge'; Parameters = @{ Location = '/tmp' } } ) } } }"
        $ok = Test-ClutterBackupPlan $plan -ErrorVariable errs -ErrorAction SilentlyContinue
        $ok | Should -BeFalse
        @($errs).Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId*"
    }

    It 'accepts good targets' {
        $env:PLAN_TEST_DB_URL = $Url
        $plan = New-Plan 'good' "Audit = @{ ConnectionString = '$AuditUrl' }; Notify = @( @{ Uri = 'https://hooks.slack.com/services/T/B/x'; Format = 'Slack' } ); HeartbeatUri = 'https://hc-ping.com/abc'" (Join-Path $Root 'b')
        try { Test-ClutterBackupPlan $plan | Should -BeTrue } finally { Remove-Item Env:PLAN_TEST_DB_URL }
    }
}
