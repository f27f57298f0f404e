# Test-ClutterRecovery and New-ClutterIncidentReport through the built module: the checklist against a database
# restored from a real backup on Ceph RGW, a media bucket that exists and one that does not, health endpoints of an
# HttpListener on 127.0.0.1 (in a thread job) and a closed loopback port, a missing table and a missing extension;
# the incident report from a failed drill (a DrillResult built through the engine's own type: PowerShell cannot name
# a type of the module's load context as [ClutterDR.DrillResult], so the test gets it from the engine assembly and
# converts a hashtable to it, which sets the init-only properties), -WhatIf, -Force, and a scheduled job's pwsh.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $PSDefaultParameterValues = @{ '*-Clutter*:EndpointUrl' = $S3Endpoint }
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    $script:Source = New-TestDatabase -Prefix 'rc' -Sql "create extension pg_trgm; create table users (id int primary key, name text); insert into users select g, 'u' || g from generate_series(1, 12) g; create table dumps (id int primary key); insert into dumps select generate_series(1, 40);"
    $script:Bucket = New-TestBucket -Prefix 'rc'
    $script:Backup = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $Source) -Destination "s3://$Bucket/db"
    $script:Target = "rct_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    $script:Restore = $Backup | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $Target) -CreateDatabase -Confirm:$false
    $script:TargetUrl = Get-TestPgUrl $Target
    $script:Media = New-TestBucket -Prefix 'rcm'
    $null = Invoke-TestS3 -Method Put -Path "/$Media/avatars/1.jpg" -Body ([byte[]]::new(5000)) -Headers @{ 'Content-Type' = 'image/jpeg' }
    $script:Folder = New-TestFolder

    # Health endpoints on 127.0.0.1: /health 200, /health/db 503. A closed port: bound, then released.
    function Get-ClosedPort { $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p }
    $script:Port = Get-ClosedPort
    $script:Closed = Get-ClosedPort
    $script:Listener = [Net.HttpListener]::new()
    $Listener.Prefixes.Add("http://127.0.0.1:$Port/")
    $Listener.Start()
    $script:Server = Start-ThreadJob -ArgumentList $Listener -ScriptBlock {
        param($listener)
        while ($listener.IsListening) {
            try { $context = $listener.GetContext() } catch { break }
            $context.Response.StatusCode = if ($context.Request.Url.AbsolutePath -eq '/health') { 200 } else { 503 }
            $context.Response.Close()
        }
    }
}

AfterAll {
    $Listener.Stop(); $Listener.Close()
    $Server | Remove-Job -Force -ErrorAction SilentlyContinue
    Remove-Item -Recurse -Force $Folder -ErrorAction SilentlyContinue
}

Describe 'Test-ClutterRecovery' {
    It 'walks the whole 14-point checklist in order against the restored database; machine checks pass, the rest are Manual' {
        $checks = @($Backup | Test-ClutterRecovery -ConnectionString $TargetUrl -ExpectedTable users, 'public.dump*' -RequiredExtension pg_trgm `
                -StorageLocation "s3://$Media" -SampleObject avatars/1.jpg -HealthUri "http://127.0.0.1:$Port/health" -ErrorVariable problems)
        $problems | Should -BeNullOrEmpty
        $checks[0].GetType().FullName | Should -Be 'ClutterDR.RecoveryCheck'
        @($checks.Step | Select-Object -Unique) | Should -Be (1..14)
        @($checks | Where-Object { "$($_.Status)" -eq 'Passed' }).Step | Should -Be @(1, 2, 2, 2, 3, 4, 5, 9)
        @($checks | Where-Object { "$($_.Status)" -eq 'Manual' }).Step | Should -Be @(6, 7, 8, 10, 11, 12, 13, 14)
        ($checks | Where-Object { $_.Step -eq 2 -and $_.Target -eq $Backup.Location }).Detail | Should -Match 'All 2 tables'
        ($checks | Where-Object Step -EQ 4).Detail | Should -Match 'avatars/1.jpg'
        $table = $checks | Format-Table | Out-String -Width 250
        $table | Should -Match 'Database connectivity verified'
        $table | Should -Match 'PASSED'
        $table | Should -Match 'MANUAL +Users notified of service restoration'
        $table | Should -Not -Match ([regex]::Escape($env:CLUTTERDR_TEST_PG_PASSWORD))
    }

    It 'a missing table, a missing extension, a missing bucket and failing health endpoints: each a failed check and a RecoveryCheckFailed error' {
        $checks = @(Test-ClutterRecovery -ConnectionString $TargetUrl -ExpectedTable no_such_table -RequiredExtension vector `
                -StorageLocation "s3://rc-missing-$([guid]::NewGuid().ToString('N').Substring(0, 8))" `
                -HealthUri "http://127.0.0.1:$Port/health/db", "http://127.0.0.1:$Closed/health" -TimeoutSec 3 -ErrorVariable problems -ErrorAction SilentlyContinue)
        $failed = @($checks | Where-Object { "$($_.Status)" -eq 'Failed' })
        $failed.Step | Should -Be @(2, 3, 4, 9, 9)
        $problems.Count | Should -Be 5
        @($problems | Where-Object { $_.FullyQualifiedErrorId -like 'RecoveryCheckFailed,*' }).Count | Should -Be 5
        $problems[0].TargetObject | Should -Be 'no_such_table'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        ($failed | Where-Object Step -EQ 4).ErrorId | Should -Be 'LocationNotFound'
        ($failed | Where-Object Target -Like "*:$Port/health/db").Detail | Should -Match '503'
        ($failed | Where-Object Target -Like "*:$Closed/health").Detail | Should -Match 'ConnectionRefused'
        ($checks | Where-Object Step -EQ 1).Status | Should -Be 'Passed'
    }

    It 'refuses a health address that is not http(s), before checking anything' {
        { Test-ClutterRecovery -ConnectionString $TargetUrl -HealthUri 'ftp://127.0.0.1/health' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidHealthUri,*'
    }
}

Describe 'New-ClutterIncidentReport' {
    BeforeAll {
        $engine = [System.Reflection.Assembly]::Load('ClutterDR.Engine')
        $now = [datetime]::UtcNow
        $script:FailedDrill = [System.Management.Automation.LanguagePrimitives]::ConvertTo(@{
                Backup = $Backup.Location; Database = $Source; ScratchDatabase = "clutterdr_drill_$Source"; Server = "127.0.0.1:$env:CLUTTERDR_TEST_PG_PORT"
                BackupCreatedUtc = $Backup.CreatedUtc; RestoreDuration = [timespan]::FromSeconds(42); BackupAge = [timespan]::FromHours(2)
                Status = 'Failed'; IntegrityCheck = 'Failed'; StartedUtc = $now.AddMinutes(-5); FinishedUtc = $now.AddMinutes(-4)
                Failures = [string[]]@('row count of public.users: expected 12, actual 11', 'extension vector is not installed', 'pg_amcheck: index public.users_pkey is corrupt')
            }, $engine.GetType('ClutterDR.DrillResult', $true))
    }

    It 'from a failed drill: the guide''s sections, and one action item per failure' {
        $path = Join-Path $Folder 'drill.md'
        $file = $FailedDrill | New-ClutterIncidentReport -Path $path -Title 'Monthly drill failed'
        $file.FullName | Should -Be $path
        $md = Get-Content -Raw -LiteralPath $path
        $md | Should -Match '^# Incident Report: \d{4}-\d\d-\d\d - Monthly drill failed'
        foreach ($section in 'Summary', 'Timeline', 'Root Cause', 'Resolution', 'Impact', 'Lessons Learned', 'Action Items') {
            $md | Should -Match "(?m)^## $section$"
        }
        $actions = @([regex]::Matches(($md -split '(?m)^## Action Items')[1], '(?m)^- \[ \] .*$').Value)
        $actions.Count | Should -Be 3
        $actions[0] | Should -Match 'expected 12, actual 11'
        $actions[2] | Should -Match 'users_pkey is corrupt'
        $md | Should -Match 'Restore drill of `.+` failed'
    }

    It 'from a real restore and its checklist: downtime and the data-loss window measured; a failed check is an action item' {
        $checks = @(Test-ClutterRecovery -ConnectionString $TargetUrl -HealthUri "http://127.0.0.1:$Closed/health" -ErrorAction SilentlyContinue)
        $path = Join-Path $Folder 'real.md'
        $detected = [datetime]::UtcNow.AddMinutes(-30)
        $null = @($Restore) + $checks | New-ClutterIncidentReport -Path $path -Title 'Primary lost' -DetectedAt $detected -Summary 'Disk failure.'
        $md = Get-Content -Raw -LiteralPath $path
        $md | Should -Match '(?m)^Disk failure\.$'
        $md | Should -Match 'Downtime duration: not over: 1 recovery check\(s\) failed'
        $md | Should -Match 'Data loss: Yes, a window of up to'
        $md | Should -Match 'Restore of `.+` completed in'
        @([regex]::Matches(($md -split '(?m)^## Action Items')[1].Split('## To Confirm')[0], '(?m)^- \[ \] ').Count) | Should -Be 1
        $md | Should -Not -Match ([regex]::Escape($env:CLUTTERDR_TEST_PG_PASSWORD))
        $md | Should -Not -Match 'postgresql://'
    }

    It '-WhatIf writes nothing; an existing file is refused without -Force and kept; -Force replaces it' {
        $path = Join-Path $Folder 'whatif.md'
        $FailedDrill | New-ClutterIncidentReport -Path $path -Title 'x' -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath $path | Should -BeFalse
        Set-Content -LiteralPath $path -Value 'keep me'
        $FailedDrill | New-ClutterIncidentReport -Path $path -Title 'x' -ErrorVariable refused -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $refused[0].FullyQualifiedErrorId | Should -BeLike 'IncidentReportExists,*'
        $refused[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $refused[0].TargetObject | Should -Be $path
        (Get-Content -Raw -LiteralPath $path).Trim() | Should -Be 'keep me'
        $FailedDrill | New-ClutterIncidentReport -Path $path -Title 'replaced' -Force | Should -Not -BeNullOrEmpty
        Get-Content -Raw -LiteralPath $path | Should -Match 'Incident Report: .* - replaced'
        @(Get-ChildItem -LiteralPath $Folder -Filter '*.partial').Count | Should -Be 0
    }

    It 'an object of another type is an IncidentInputNotSupported error; the report is still written without it' {
        $path = Join-Path $Folder 'other.md'
        $file = @($FailedDrill, (Get-Date)) | New-ClutterIncidentReport -Path $path -Title 'mixed' -ErrorVariable bad -ErrorAction SilentlyContinue
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'IncidentInputNotSupported,*'
        $file | Should -Not -BeNullOrEmpty
        Get-Content -Raw -LiteralPath $path | Should -Match 'users_pkey is corrupt'
    }

    It 'runs as a scheduled job would (pwsh -NonInteractive -File): no prompt, exit code 0' {
        $job = Join-Path $Folder 'job.ps1'
        $out = Join-Path $Folder 'job.md'
        Set-Content -LiteralPath $job -Value @'
param($ModulePath, $Url, $Endpoint, $Out)
Import-Module $ModulePath
$ErrorActionPreference = 'Stop'
$checks = Test-ClutterRecovery -ConnectionString $Url -ExpectedTable users -HealthUri $Endpoint
$checks | New-ClutterIncidentReport -Path $Out -Title 'Nightly check' | Out-Null
"checks=$(@($checks).Count)"
'@
        $text = & $Pwsh -NoProfile -NonInteractive -File $job $env:CLUTTERDR_MODULE_PATH $TargetUrl "http://127.0.0.1:$Port/health" $out 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $text
        $text | Should -Match 'checks=14'
        Test-Path -LiteralPath $out | Should -BeTrue
    }
}
