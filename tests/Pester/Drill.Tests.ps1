# The restore drill as an admin runs it: Test-ClutterRestore on real PostgreSQL, RGW and a folder, its recorded
# result (Get-ClutterDrill), Test-ClutterBackupAge -MaxDrillAge, a DrillFailed error that fails a -File job, and
# Ctrl+C (StopProcessing through a PowerShell instance, and SIGINT to a real pwsh) leaving no scratch database.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    Import-Module $env:CLUTTERDR_MODULE_PATH
    $script:Db = New-TestDatabase -Prefix 'drl' -Sql "create table users (id int primary key, email text); insert into users select g, 'u' || g from generate_series(1, 250) g"
    $script:Server = Get-TestPgUrl
    $script:Folder = New-TestFolder
    $script:Bucket = New-TestBucket -Prefix 'drl'
    $null = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $Db) -Destination $Folder
    $null = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $Db) -Destination "s3://$Bucket/db" -EndpointUrl $S3Endpoint
    function Get-ScratchDatabases([string]$Database) {
        @(Invoke-TestPsql -Command "select datname from pg_database where datname like 'clutterdr_drill_$Database%'")
    }
}

AfterAll {
    Remove-Item -Recurse -Force $Folder -ErrorAction SilentlyContinue
}

Describe 'Test-ClutterRestore' {
    It 'drills the newest backup of a folder location, records it, and Test-ClutterBackupAge -MaxDrillAge alarms before and passes after' {
        $before = Test-ClutterBackupAge $Folder -MaxDrillAge 35.00:00:00 -ErrorAction SilentlyContinue -ErrorVariable problems
        $before.Healthy | Should -BeFalse
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'NoDrillFound,*'

        $drill = Test-ClutterRestore $Folder -ConnectionString $Server -AllowSourceServer -RtoObjective 1h -RpoObjective '1d' -Query @{ users = 'select count(*) = 250 from users' } -WarningVariable warnings
        $warnings | Should -BeNullOrEmpty -Because 'a healthy drill is quiet'
        $drill.Status | Should -Be 'Passed'
        $drill.Database | Should -Be $Db
        $drill.IntegrityCheck | Should -Be 'Passed'
        $drill.RtoMet | Should -BeTrue
        $drill.Tables[0].ActualRows | Should -Be 250
        Get-ScratchDatabases $Db | Should -BeNullOrEmpty
        Test-Path (Join-Path $Folder $Db 'drills' "$($drill.ScratchDatabase).json") | Should -BeTrue

        $listed = Get-ClutterDrill $Folder -Latest
        $listed.ScratchDatabase | Should -Be $drill.ScratchDatabase
        ($listed | Format-Table | Out-String -Width 300) | Should -Match "PASSED\s+$Db\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"
        Get-ClutterBackup $Folder | Should -HaveCount 1 -Because 'the drills folder is no backup'

        $after = Test-ClutterBackupAge $Folder -MaxDrillAge 35.00:00:00
        $after.Healthy | Should -BeTrue
        $after.LatestDrillPassedUtc | Should -Be $drill.StartedUtc
    }

    It 'drills a piped BackupInfo from RGW, and -WhatIf creates and records nothing' {
        $drill = Get-ClutterBackup "s3://$Bucket/db" -Latest -EndpointUrl $S3Endpoint | Test-ClutterRestore -ConnectionString $Server -AllowSourceServer -NoIntegrityCheck
        $drill.Status | Should -Be 'Passed'
        @(Get-ClutterDrill "s3://$Bucket/db" -EndpointUrl $S3Endpoint).Count | Should -Be 1
        Test-ClutterRestore "s3://$Bucket/db" -ConnectionString $Server -AllowSourceServer -EndpointUrl $S3Endpoint -WhatIf | Should -BeNullOrEmpty
        @(Get-ClutterDrill "s3://$Bucket/db" -EndpointUrl $S3Endpoint).Count | Should -Be 1
        Get-ScratchDatabases $Db | Should -BeNullOrEmpty
    }

    It 'refuses the source server without -AllowSourceServer' {
        { Test-ClutterRestore $Folder -ConnectionString $Server -ErrorAction Stop } | Should -Throw -ErrorId 'DrillOnSourceServer,*'
        Get-ScratchDatabases $Db | Should -BeNullOrEmpty
    }

    It 'a failed drill is a DrillFailed error that ends a pwsh -NonInteractive -File job with exit code 1' {
        $script = Join-Path $Folder 'monthly-drill.ps1'
        Set-Content -LiteralPath $script -Value @"
`$ErrorActionPreference = 'Stop'
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$($env:CLUTTERDR_MODULE_PATH)'
Test-ClutterRestore '$Folder' -ConnectionString `$env:SCRATCH_DATABASE_URL -AllowSourceServer -RequiredExtension no_such_extension
"@
        $env:SCRATCH_DATABASE_URL = $Server
        try { $out = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File $script 2>&1 | Out-String }
        finally { Remove-Item Env:SCRATCH_DATABASE_URL }
        $LASTEXITCODE | Should -Be 1
        $out | Should -Match 'no_such_extension'
        $out | Should -Not -Match ([regex]::Escape($env:CLUTTERDR_TEST_PG_PASSWORD))
        Get-ScratchDatabases $Db | Should -BeNullOrEmpty
        (Get-ClutterDrill $Folder -Latest).Status | Should -Be 'Failed'
    }
}

Describe 'Stopping Test-ClutterRestore' {
    BeforeAll {
        $script:Big = New-TestDatabase -Prefix 'drlbig' -Sql "create table big as select g, repeat(md5(g::text), 8) as t from generate_series(1, 300000) g; create index on big (g)"
        $script:BigFolder = New-TestFolder
        $null = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $Big) -Destination $BigFolder
    }
    AfterAll { Remove-Item -Recurse -Force $BigFolder -ErrorAction SilentlyContinue }

    It 'StopProcessing during the drill leaves no scratch database and no lease' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
                param($Module, $Location, $Server)
                Import-Module $Module
                Test-ClutterRestore $Location -ConnectionString $Server -AllowSourceServer
            }).AddArgument($env:CLUTTERDR_MODULE_PATH).AddArgument($BigFolder).AddArgument($Server)
        $handle = $ps.BeginInvoke()
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        while (-not (Get-ScratchDatabases $Big) -and -not $handle.IsCompleted -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
        $handle.IsCompleted | Should -BeFalse -Because 'the drill must still be running when it is stopped'
        $ps.Stop()
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        Get-ScratchDatabases $Big | Should -BeNullOrEmpty
        @(Get-ChildItem -LiteralPath (Join-Path $BigFolder $Big) -Recurse -File | Where-Object { $_.DirectoryName -like '*drills' }) | Should -BeNullOrEmpty
        $ps.Dispose()
    }

    It 'SIGINT to a real pwsh running the drill leaves no scratch database' -Skip:$IsWindows {
        $psi = [Diagnostics.ProcessStartInfo]::new((Join-Path $PSHOME 'pwsh'))
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$($env:CLUTTERDR_MODULE_PATH)'; Test-ClutterRestore '$BigFolder' -ConnectionString `$env:SCRATCH_DATABASE_URL -AllowSourceServer") { $psi.ArgumentList.Add($a) }
        $psi.Environment['SCRATCH_DATABASE_URL'] = $Server
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
        $p = [Diagnostics.Process]::Start($psi)
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        while (-not (Get-ScratchDatabases $Big) -and -not $p.HasExited -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
        $p.HasExited | Should -BeFalse -Because 'the drill must still be running when it is interrupted'
        & kill -INT $p.Id
        $p.WaitForExit(60000) | Should -BeTrue
        Get-ScratchDatabases $Big | Should -BeNullOrEmpty
    }
}
