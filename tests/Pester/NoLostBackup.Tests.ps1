# Issue 11 item 3 and fault matrix row 13: five backups of one database started at one instant by five
# processes into one S3 prefix, and into one folder, are five distinct backups, each listed, verified and
# restored. (The engine test ConcurrentBackupTests forces one clock second; here the processes are real.)
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Db = New-TestDatabase -Prefix 'race' -Sql "create table t (id int primary key, v text); insert into t select g, md5(g::text) from generate_series(1, 300) g;"
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    $script:Work = New-TestFolder
    $script:Job = Join-Path $Work 'racing-backup.ps1'
    Set-Content -LiteralPath $Job -Value @'
param($ModulePath, $Url, $Destination, $EndpointUrl, $Ready, $Go, $WarmUp)
Import-Module $ModulePath
$ErrorActionPreference = 'Stop'
$s3 = if ($Destination -like 's3://*') { @{ EndpointUrl = $EndpointUrl } } else { @{} }
# Warmed up (the code paths compiled, the S3 client started), so that all five reach the name at once.
$null = Backup-ClutterDatabase -ConnectionString $Url -Destination $WarmUp
$null = Get-ClutterBackup -Location $Destination @s3 -ErrorAction SilentlyContinue
$null = New-Item -ItemType File -Path $Ready
while (-not (Test-Path -LiteralPath $Go)) { Start-Sleep -Milliseconds 2 }
$b = Backup-ClutterDatabase -ConnectionString $Url -Destination $Destination @s3
"location=$($b.Location)"
'@

    # Starts five backups that wait for one signal, gives it when all five are ready, returns their locations.
    # s3rver, the fallback server (it ignores If-None-Match): its endpoint and keys.
    $script:S3rver = @{ Endpoint = $env:CLUTTERDR_TEST_S3RVER_ENDPOINT; AccessKey = $env:CLUTTERDR_TEST_S3RVER_ACCESS_KEY; SecretKey = $env:CLUTTERDR_TEST_S3RVER_SECRET_KEY }

    function Invoke-RacingBackups([string]$Destination, [hashtable]$Server = @{ Endpoint = $S3Endpoint; AccessKey = $env:CLUTTERDR_TEST_S3_ACCESS_KEY; SecretKey = $env:CLUTTERDR_TEST_S3_SECRET_KEY }, [int]$Count = 5) {
        $run = Join-Path $Work ([guid]::NewGuid().ToString('N').Substring(0, 8))
        $null = New-Item -ItemType Directory -Path $run
        $go = Join-Path $run 'go'
        $procs = foreach ($i in 1..$Count) {
            $psi = [Diagnostics.ProcessStartInfo]::new($Pwsh)
            foreach ($a in '-NoProfile', '-NonInteractive', '-File', $Job, $env:CLUTTERDR_MODULE_PATH, (Get-TestPgUrl $Db), $Destination, $Server.Endpoint,
                (Join-Path $run "ready-$i"), $go, (Join-Path $run "warm-$i")) { $psi.ArgumentList.Add($a) }
            $psi.Environment['AWS_ACCESS_KEY_ID'] = $Server.AccessKey
            $psi.Environment['AWS_SECRET_ACCESS_KEY'] = $Server.SecretKey
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            $p = [Diagnostics.Process]::Start($psi)
            [pscustomobject]@{ Process = $p; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
        }
        $deadline = [DateTime]::UtcNow.AddMinutes(3)
        while (@(Get-ChildItem -LiteralPath $run -Filter 'ready-*').Count -lt $Count -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $null = New-Item -ItemType File -Path $go
        foreach ($p in $procs) {
            $p.Process.WaitForExit(180000) | Should -BeTrue
            $p.Process.ExitCode | Should -Be 0 -Because "$($p.Out.Result) $($p.Err.Result)"
        }
        $locations = @($procs | ForEach-Object { ($_.Out.Result -split "`n" | Where-Object { $_ -like 'location=*' }).Substring(9).Trim() })
        $seconds = $locations | ForEach-Object { [regex]::Match($_, '_(\d{8}T\d{6}Z)').Groups[1].Value } | Group-Object | ForEach-Object { $_.Count }
        Write-Host "    five racing backups to $Destination named in seconds shared as: $($seconds -join ', ')"
        $locations
    }

    function Assert-FiveRestorableBackups([string]$Destination, [string[]]$Locations, [string]$Endpoint = $S3Endpoint) {
        $Locations.Count | Should -Be 5
        @($Locations | Sort-Object -Unique).Count | Should -Be 5
        $s3 = if ($Destination -like 's3://*') { @{ EndpointUrl = $Endpoint } } else { @{} }
        $listed = @(Get-ClutterBackup -Location $Destination @s3)
        ($listed.Location | Sort-Object) | Should -Be ($Locations | Sort-Object)
        foreach ($loc in $Locations) {
            (Test-ClutterBackup -Location $loc @s3).Status | Should -Be 'Passed'
            $target = New-TestDatabase -Prefix 'racet'
            (Restore-ClutterDatabase -Location $loc @s3 -TargetConnectionString (Get-TestPgUrl $target) -Confirm:$false).Verified | Should -BeTrue
            Invoke-TestPsql -Database $target -Command 'select count(*) from t' | Should -Be 300
        }
    }
}

AfterAll {
    Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
}

Describe 'Five backups of one database started at once by five processes' {
    It 'into one S3 prefix (RGW, names claimed): five distinct backups, each listed, verified and restored; no claim left' {
        $bucket = New-TestBucket 'race'
        $dest = "s3://$bucket/nightly"
        $locations = Invoke-RacingBackups $dest
        Assert-FiveRestorableBackups $dest $locations
        $locations | Should -Not -Match '-r[a-z2-7]{6}\.dump' # claimed names: the second's, or -2, -3, ...
        $keys = Get-TestS3Keys $bucket
        $keys.Count | Should -Be 10
        $keys | Where-Object { $_ -like '*.claim' -or $_ -like '*probe*' } | Should -BeNullOrEmpty
    }

    It 'into one S3 prefix of a server that ignores If-None-Match (s3rver): five distinct backups with random tails, each restorable' {
        $bucket = "race-$([guid]::NewGuid().ToString('N').Substring(0, 12))"
        $null = Invoke-TestS3 @S3rver -Method Put -Path "/$bucket"
        $dest = "s3://$bucket/nightly"
        $env:AWS_ACCESS_KEY_ID = $S3rver.AccessKey; $env:AWS_SECRET_ACCESS_KEY = $S3rver.SecretKey
        try {
            $locations = Invoke-RacingBackups $dest $S3rver
            Assert-FiveRestorableBackups $dest $locations $S3rver.Endpoint
            foreach ($l in $locations) { $l | Should -Match '_\d{8}T\d{6}Z-r[a-z2-7]{6}\.dump\.zst$' }
            [xml]$xml = (Invoke-TestS3 @S3rver -Path "/$bucket" -Query @{ 'list-type' = '2' }).Content
            $keys = @($xml.ListBucketResult.SelectNodes('*[local-name()="Contents"]') | ForEach-Object { $_.Key })
            $keys.Count | Should -Be 10
            $keys | Where-Object { $_ -like '*.claim' -or $_ -like '*probe*' } | Should -BeNullOrEmpty
        }
        finally { $env:AWS_ACCESS_KEY_ID = $env:CLUTTERDR_TEST_S3_ACCESS_KEY; $env:AWS_SECRET_ACCESS_KEY = $env:CLUTTERDR_TEST_S3_SECRET_KEY }
    }

    It 'into one folder: five distinct backups, each listed, verified and restored; no claim or partial file left' {
        $dest = New-TestFolder
        try {
            $locations = Invoke-RacingBackups $dest
            Assert-FiveRestorableBackups $dest $locations
            $locations | Should -Not -Match '-r[a-z2-7]{6}\.dump' # a folder claims names
            $files = @(Get-ChildItem -LiteralPath $dest -Recurse -File)
            $files.Count | Should -Be 10
            $files.Name | Where-Object { $_ -like '*.claim' -or $_ -like '*.partial' } | Should -BeNullOrEmpty
        }
        finally { Remove-Item -Recurse -Force $dest -ErrorAction SilentlyContinue }
    }
}
