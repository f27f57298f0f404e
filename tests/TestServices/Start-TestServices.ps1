<#
.SYNOPSIS
    Starts a throwaway PostgreSQL 15 cluster and the tests' S3 servers: Ceph RGW (a real S3 implementation, the one
    every S3 test runs against) and @20minutes/s3rver 5.0.0 (a fake, kept for the fallback paths an endpoint without
    conditional writes takes).

.DESCRIPTION
    The services run in the background, outlive this script, bind 127.0.0.1 on free ports and keep their
    data in a temp folder (RGW: in its OSD's memory). What was started is recorded in a state file (default
    <temp>/clutterdr-test-services/state.json) that Stop-TestServices.ps1 reads.

    Sets these environment variables in the current process (and returns them):
      CLUTTERDR_TEST_PG_HOST, CLUTTERDR_TEST_PG_PORT, CLUTTERDR_TEST_PG_USER, CLUTTERDR_TEST_PG_PASSWORD,
      CLUTTERDR_TEST_PG_SOCKET (socket folder; empty on Windows), CLUTTERDR_TEST_PG_URL, CLUTTERDR_PG_BIN,
      CLUTTERDR_TEST_S3_ENDPOINT, CLUTTERDR_TEST_S3_ACCESS_KEY, CLUTTERDR_TEST_S3_SECRET_KEY,
      CLUTTERDR_TEST_S3_REGION, CLUTTERDR_TEST_S3_SERVER (rgw) for Ceph RGW;
      CLUTTERDR_TEST_S3RVER_ENDPOINT, CLUTTERDR_TEST_S3RVER_ACCESS_KEY, CLUTTERDR_TEST_S3RVER_SECRET_KEY for s3rver.

    PostgreSQL: local socket connections are trusted; TCP connections need the password (scram-sha-256),
    so a wrong password is rejected.

    Idempotent: a service already described by those environment variables, or by the state file, that
    answers is reused and reported as not started (so the caller must not stop it).

.PARAMETER Only
    Start only these services (Postgres, S3 = Ceph RGW, S3rver, Supabase = a second PostgreSQL cluster whose
    bootstrap superuser is supabase_admin, as on Supabase, for the Supabase-shaped fixture). Default: all four.

.PARAMETER StatePath
    State file. Default <temp>/clutterdr-test-services/state.json. Run folders go beside it.

.PARAMETER ShellExports
    Write `export NAME='value'` lines instead of the result object (status goes to stderr), for
    eval "$(dotnet pwsh -NoProfile -File tests/TestServices/Start-TestServices.ps1 -ShellExports)".

.OUTPUTS
    An object: StartedPostgres, StartedS3, StartedS3rver, ReusedPostgres, ReusedS3, ReusedS3rver, Started (names),
    StatePath, Environment.
#>
#Requires -Version 7.2
[CmdletBinding()]
param(
    [ValidateSet('Postgres', 'S3', 'S3rver', 'Supabase')]
    [string[]]$Only = @('Postgres', 'S3', 'S3rver', 'Supabase'),
    [string]$StatePath,
    [string]$PgPassword = 'clutter-test-pw',
    [switch]$ShellExports
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
. (Join-Path $PSScriptRoot 'TestServices.Common.ps1')
. (Join-Path $PSScriptRoot 'TestServices.Rgw.ps1')
$script:TsStatusToStdErr = [bool]$ShellExports

if (-not $StatePath) { $StatePath = Get-TsDefaultStatePath }
$StatePath = [IO.Path]::GetFullPath($StatePath)
$baseDir = Split-Path -Parent $StatePath
if (-not (Test-Path -LiteralPath $baseDir)) { $null = New-Item -ItemType Directory -Path $baseDir -Force }

$state = Read-TsState -Path $StatePath
$result = [ordered]@{
    StartedPostgres = $false; StartedS3 = $false; StartedS3rver = $false
    ReusedPostgres  = $false; ReusedS3  = $false; ReusedS3rver  = $false
    StartedSupabase = $false; ReusedSupabase = $false
    Started         = @()
    StatePath       = $StatePath
    Environment     = [ordered]@{}
}

function Set-TsEnv([string]$Name, [string]$Value) {
    [Environment]::SetEnvironmentVariable($Name, $Value)
    $result.Environment[$Name] = $Value
}

function New-TsRunDir([string]$Prefix) {
    $dir = Join-Path $baseDir ("$Prefix-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $null = New-Item -ItemType Directory -Path $dir -Force
    return $dir
}

function Set-TsPgEnv($e) {
    Set-TsEnv 'CLUTTERDR_TEST_PG_HOST' $e.Host
    Set-TsEnv 'CLUTTERDR_TEST_PG_PORT' ([string]$e.Port)
    Set-TsEnv 'CLUTTERDR_TEST_PG_USER' $e.User
    Set-TsEnv 'CLUTTERDR_TEST_PG_PASSWORD' $e.Password
    Set-TsEnv 'CLUTTERDR_TEST_PG_SOCKET' ([string]$e.SocketDir)
    Set-TsEnv 'CLUTTERDR_TEST_PG_URL' ("postgresql://{0}:{1}@{2}:{3}/postgres" -f
        [Uri]::EscapeDataString($e.User), [Uri]::EscapeDataString($e.Password), $e.Host, $e.Port)
    Set-TsEnv 'CLUTTERDR_PG_BIN' $e.BinDir
}

function Set-TsSupabaseEnv($e) {
    Set-TsEnv 'CLUTTERDR_TEST_SUPABASE_HOST' $e.Host
    Set-TsEnv 'CLUTTERDR_TEST_SUPABASE_PORT' ([string]$e.Port)
    Set-TsEnv 'CLUTTERDR_TEST_SUPABASE_SUPERUSER' $e.User
    Set-TsEnv 'CLUTTERDR_TEST_SUPABASE_PASSWORD' $e.Password
}

function Set-TsS3Env($e) {
    Set-TsEnv 'CLUTTERDR_TEST_S3_ENDPOINT' $e.Endpoint
    Set-TsEnv 'CLUTTERDR_TEST_S3_ACCESS_KEY' $e.AccessKey
    Set-TsEnv 'CLUTTERDR_TEST_S3_SECRET_KEY' $e.SecretKey
    Set-TsEnv 'CLUTTERDR_TEST_S3_REGION' $e.Region
    Set-TsEnv 'CLUTTERDR_TEST_S3_SERVER' $(if ($e.Kind) { $e.Kind } else { 'rgw' })
}

function Set-TsS3rverEnv($e) {
    Set-TsEnv 'CLUTTERDR_TEST_S3RVER_ENDPOINT' $e.Endpoint
    Set-TsEnv 'CLUTTERDR_TEST_S3RVER_ACCESS_KEY' $e.AccessKey
    Set-TsEnv 'CLUTTERDR_TEST_S3RVER_SECRET_KEY' $e.SecretKey
}

# ---------------------------------------------------------------------------------------------- PostgreSQL
function Start-TsPostgres {
    # -Superuser: the bootstrap superuser initdb creates (supabase_admin for the Supabase cluster); -ExtraOptions: more -c settings.
    param([string]$Superuser = 'postgres', [string]$ExtraOptions = '', [string]$Prefix = 'pg')
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $binDir = Find-TsPgBin
    $initdb = Join-Path $binDir (Get-TsExeName 'initdb')
    $pg_ctl = Join-Path $binDir (Get-TsExeName 'pg_ctl')
    $asRoot = Test-TsIsRoot
    if ($asRoot -and -not (Get-Command runuser -CommandType Application -ErrorAction SilentlyContinue)) {
        throw 'Running as root needs runuser (util-linux) to run initdb/pg_ctl as the postgres user.'
    }

    $runDir = New-TsRunDir $Prefix
    $dataDir = Join-Path $runDir 'data'
    $logFile = Join-Path $runDir 'postgres.log'
    $pwFile = Join-Path $runDir 'pwfile'
    $sockDir = if ($IsWindows) { '' } else { Join-Path $runDir 'sock' }
    $entry = [ordered]@{
        Pid = 0; Host = '127.0.0.1'; Port = 0; User = $Superuser; Password = $PgPassword
        BinDir = $binDir; RunDir = $runDir; DataDir = $dataDir; SocketDir = $sockDir; LogFile = $logFile
    }
    try {
        $null = New-Item -ItemType Directory -Path $dataDir -Force
        if ($sockDir) { $null = New-Item -ItemType Directory -Path $sockDir -Force }
        [IO.File]::WriteAllText($pwFile, $PgPassword + "`n")
        if ($asRoot) {
            # initdb/postgres refuse root: the run folder belongs to the postgres OS user.
            $null = Invoke-TsNative -FilePath 'chown' -ArgumentList @('-R', 'postgres:postgres', $runDir)
            $null = Invoke-TsNative -FilePath 'chmod' -ArgumentList @('0700', $runDir)
            # Every folder above must be traversable by postgres (fine for /tmp; not for e.g. /root/tmp).
            $probe = Invoke-TsNative -FilePath 'runuser' -ArgumentList @('-u', 'postgres', '--', 'test', '-w', $runDir) -IgnoreExitCode
            if ($LASTEXITCODE -ne 0) {
                throw "The postgres OS user cannot write to '$runDir'. Use a temp folder it can reach (set TMPDIR or -StatePath)."
            }
        }
        # Locale C + UTF8: independent of the machine's LANG (CI may have none, which would mean SQL_ASCII).
        $null = Invoke-TsNative -FilePath $initdb -AsPostgres -WorkingDirectory $runDir -ArgumentList @(
            '-D', $dataDir, '-U', $Superuser, '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions',
            '--auth-local=trust', '--auth-host=scram-sha-256', "--pwfile=$pwFile")
        Remove-Item -LiteralPath $pwFile -Force

        $portTries = 0
        while ($true) {
            $port = Get-TsFreePort
            $entry.Port = $port
            $opts = "-p $port -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off $ExtraOptions"
            if ($sockDir) { $opts += " -k `"$sockDir`"" }
            $out = Invoke-TsNative -FilePath $pg_ctl -AsPostgres -WorkingDirectory $runDir -IgnoreExitCode -ArgumentList @(
                '-D', $dataDir, '-w', '-t', '30', '-l', $logFile, '-o', $opts, 'start')
            if ($LASTEXITCODE -eq 0) { break }
            $log = if (Test-Path -LiteralPath $logFile) { Get-Content -LiteralPath $logFile -Raw } else { '' }
            # Someone took the port between probing and binding: try another one.
            if (++$portTries -lt 3 -and $log -match 'could not bind|Address already in use') { continue }
            throw "pg_ctl start failed:$([Environment]::NewLine)$($out -join [Environment]::NewLine)$([Environment]::NewLine)$log"
        }
        $pidFile = Join-Path $dataDir 'postmaster.pid'
        $entry.Pid = [int](Get-Content -LiteralPath $pidFile -TotalCount 1)

        if (-not (Test-TsPostgres -BinDir $binDir -HostName $entry.Host -Port $port -User $entry.User -Password $PgPassword)) {
            throw "PostgreSQL started on port $port but a password login over TCP failed. Log: $logFile"
        }
    } catch {
        $err = $_
        try { Stop-TsPostgres -Entry $entry } catch { Write-Verbose "cleanup failed: $_" }
        throw $err
    }
    Write-TsStatus ("PostgreSQL started on 127.0.0.1:{0} (pid {1}, socket {2}) in {3:N1} s" -f
        $entry.Port, $entry.Pid, $(if ($sockDir) { $sockDir } else { '-' }), $sw.Elapsed.TotalSeconds)
    return $entry
}

# ---------------------------------------------------------------------------------------------- S3
function Initialize-TsS3rverPackage {
    $root = Join-Path $PSScriptRoot 's3rver'
    $installed = Join-Path (Join-Path (Join-Path (Join-Path $root 'node_modules') '@20minutes') 's3rver') 'package.json'
    $want = (Get-Content -LiteralPath (Join-Path $root 'package.json') -Raw | ConvertFrom-Json).dependencies.'@20minutes/s3rver'
    if (Test-Path -LiteralPath $installed) {
        $have = (Get-Content -LiteralPath $installed -Raw | ConvertFrom-Json).version
        if ($have -eq $want) { return $root }
    }
    $npm = Get-Command npm -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $npm) { throw 'npm not found: install Node.js (with npm) to run the S3 test server.' }
    Write-TsStatus "installing @20minutes/s3rver $want with npm ci ..."
    $null = Invoke-TsNative -FilePath $npm.Source -WorkingDirectory $root -ArgumentList @(
        'ci', '--no-audit', '--no-fund', '--loglevel=error')
    return $root
}

function Start-TsS3 {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $node = Get-Command node -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $node) { throw 'node not found: install Node.js to run the S3 test server.' }
    $pkgRoot = Initialize-TsS3rverPackage
    $runDir = New-TsRunDir 's3'
    $dataDir = Join-Path $runDir 'data'
    $logFile = Join-Path $runDir 's3rver.log'
    $null = New-Item -ItemType Directory -Path $dataDir -Force
    $entry = [ordered]@{
        Kind = 's3rver'; Pid = 0; Port = 0; Endpoint = ''; AccessKey = 'S3RVER'; SecretKey = 'S3RVER'; Region = 'us-east-1'
        RunDir = $runDir; DataDir = $dataDir; LogFile = $logFile
    }
    try {
        for ($attempt = 1; ; $attempt++) {
            $port = Get-TsFreePort
            $entry.Port = $port
            $entry.Endpoint = "http://127.0.0.1:$port"
            $psi = [Diagnostics.ProcessStartInfo]::new($node.Source)
            foreach ($a in @((Join-Path $pkgRoot 'start.js'), '--log', $logFile, '--directory', $dataDir,
                    '--address', '127.0.0.1', '--port', "$port", '--allow-mismatched-signatures')) {
                $psi.ArgumentList.Add($a)
            }
            $psi.WorkingDirectory = $pkgRoot
            $psi.UseShellExecute = $false
            # Redirect all three so the server never holds our console/pipes open (a caller capturing our
            # output would otherwise wait for it); start.js writes its own output to the log file, so
            # nothing is written to these pipes once we exit.
            $psi.RedirectStandardInput = $true
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            # Without the legacy provider, ListObjectsV2 pagination answers 500 on current Node/OpenSSL.
            $psi.Environment['NODE_OPTIONS'] = '--openssl-legacy-provider'
            $proc = [Diagnostics.Process]::Start($psi)
            $entry.Pid = $proc.Id

            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            $up = $false
            while ([DateTime]::UtcNow -lt $deadline) {
                if ($proc.HasExited) { break }
                if (Test-TsS3 -Endpoint $entry.Endpoint -TimeoutMs 1000) { $up = $true; break }
                Start-Sleep -Milliseconds 100
            }
            if ($up) { break }
            $log = if (Test-Path -LiteralPath $logFile) { Get-Content -LiteralPath $logFile -Raw } else { '' }
            if ($proc.HasExited) {
                $log += $proc.StandardError.ReadToEnd()
                if ($attempt -lt 3 -and $log -match 'EADDRINUSE') { continue }
                throw "s3rver exited with code $($proc.ExitCode):$([Environment]::NewLine)$log"
            }
            throw "s3rver did not answer on $($entry.Endpoint) within 30 s:$([Environment]::NewLine)$log"
        }
    } catch {
        $err = $_
        try { Stop-TsS3 -Entry $entry } catch { Write-Verbose "cleanup failed: $_" }
        throw $err
    }
    Write-TsStatus ("S3 server (s3rver) started on {0} (pid {1}) in {2:N1} s" -f $entry.Endpoint, $entry.Pid, $sw.Elapsed.TotalSeconds)
    return $entry
}

# ---------------------------------------------------------------------------------------------- main
if ($Only -contains 'Postgres') {
    $envEntry = $null
    if ($env:CLUTTERDR_TEST_PG_HOST -and $env:CLUTTERDR_TEST_PG_PORT) {
        $bin = if ($env:CLUTTERDR_PG_BIN) { $env:CLUTTERDR_PG_BIN } else { try { Find-TsPgBin } catch { $null } }
        $user = if ($env:CLUTTERDR_TEST_PG_USER) { $env:CLUTTERDR_TEST_PG_USER } else { 'postgres' }
        $pw = [string]$env:CLUTTERDR_TEST_PG_PASSWORD
        if (Test-TsPostgres -BinDir $bin -HostName $env:CLUTTERDR_TEST_PG_HOST -Port $env:CLUTTERDR_TEST_PG_PORT -User $user -Password $pw) {
            $envEntry = @{ Host = $env:CLUTTERDR_TEST_PG_HOST; Port = $env:CLUTTERDR_TEST_PG_PORT; User = $user
                Password = $pw; SocketDir = [string]$env:CLUTTERDR_TEST_PG_SOCKET; BinDir = $bin }
        } else {
            Write-TsStatus "PostgreSQL from CLUTTERDR_TEST_PG_* ($($env:CLUTTERDR_TEST_PG_HOST):$($env:CLUTTERDR_TEST_PG_PORT)) does not answer: starting one"
        }
    }
    if ($envEntry) {
        Set-TsPgEnv $envEntry
        $result.ReusedPostgres = $true
        Write-TsStatus "PostgreSQL: reusing $($envEntry.Host):$($envEntry.Port) from the environment (started nothing)"
    } elseif ($state.Postgres -and (Test-TsPostgres -BinDir $state.Postgres.BinDir -HostName $state.Postgres.Host `
                -Port $state.Postgres.Port -User $state.Postgres.User -Password $state.Postgres.Password)) {
        Set-TsPgEnv $state.Postgres
        $result.ReusedPostgres = $true
        Write-TsStatus "PostgreSQL: reusing 127.0.0.1:$($state.Postgres.Port) from $StatePath (started nothing)"
    } else {
        if ($state.Postgres) {
            Write-TsStatus 'PostgreSQL: cleaning up a stale cluster from the state file'
            Stop-TsPostgres -Entry $state.Postgres
            $state.Postgres = $null
            Write-TsState -Path $StatePath -State $state
        }
        $state.Postgres = Start-TsPostgres
        Write-TsState -Path $StatePath -State $state
        Set-TsPgEnv $state.Postgres
        $result.StartedPostgres = $true
        $result.Started += 'Postgres'
    }
}

# ---------------------------------------------------------------------------------------------- Supabase-shaped cluster
if ($Only -contains 'Supabase') {
    if ($state.Supabase -and (Test-TsPostgres -BinDir $state.Supabase.BinDir -HostName $state.Supabase.Host `
                -Port $state.Supabase.Port -User $state.Supabase.User -Password $state.Supabase.Password)) {
        Set-TsSupabaseEnv $state.Supabase
        $result.ReusedSupabase = $true
        Write-TsStatus "Supabase-shaped PostgreSQL: reusing 127.0.0.1:$($state.Supabase.Port) from $StatePath (started nothing)"
    } else {
        if ($state.Supabase) {
            Stop-TsPostgres -Entry $state.Supabase
            $state.Supabase = $null
            Write-TsState -Path $StatePath -State $state
        }
        # As on Supabase: the bootstrap superuser is supabase_admin; wal_level=logical for the realtime publication.
        $state.Supabase = Start-TsPostgres -Superuser 'supabase_admin' -ExtraOptions '-c wal_level=logical' -Prefix 'supa'
        Write-TsState -Path $StatePath -State $state
        Set-TsSupabaseEnv $state.Supabase
        $result.StartedSupabase = $true
        $result.Started += 'Supabase'
    }
}

function Stop-TsAnyS3($Entry) {
    # A state file from before RGW holds an s3rver entry under S3.
    if ($Entry.Kind -eq 'rgw') { Stop-TsRgw -Entry $Entry } else { Stop-TsS3 -Entry $Entry }
}

try {
    if ($Only -contains 'S3') {
        if ($env:CLUTTERDR_TEST_S3_ENDPOINT -and (Test-TsS3 -Endpoint $env:CLUTTERDR_TEST_S3_ENDPOINT)) {
            Set-TsS3Env @{
                Endpoint  = $env:CLUTTERDR_TEST_S3_ENDPOINT
                AccessKey = [string]$env:CLUTTERDR_TEST_S3_ACCESS_KEY
                SecretKey = [string]$env:CLUTTERDR_TEST_S3_SECRET_KEY
                Region    = $(if ($env:CLUTTERDR_TEST_S3_REGION) { $env:CLUTTERDR_TEST_S3_REGION } else { 'us-east-1' })
                Kind      = $(if ($env:CLUTTERDR_TEST_S3_SERVER) { $env:CLUTTERDR_TEST_S3_SERVER } else { 'rgw' })
            }
            $result.ReusedS3 = $true
            Write-TsStatus "S3: reusing $($env:CLUTTERDR_TEST_S3_ENDPOINT) from the environment (started nothing)"
        } elseif ($state.S3 -and $state.S3.Kind -eq 'rgw' -and (Test-TsRgwAlive $state.S3)) {
            Set-TsS3Env $state.S3
            $result.ReusedS3 = $true
            Write-TsStatus "S3: reusing Ceph RGW $($state.S3.Endpoint) from $StatePath (started nothing)"
        } else {
            if ($env:CLUTTERDR_TEST_S3_ENDPOINT) {
                Write-TsStatus "S3 endpoint from CLUTTERDR_TEST_S3_ENDPOINT ($($env:CLUTTERDR_TEST_S3_ENDPOINT)) does not answer: starting Ceph RGW"
            }
            if ($state.S3) {
                Write-TsStatus 'S3: cleaning up a stale server from the state file'
                Stop-TsAnyS3 $state.S3
                $state.S3 = $null
                Write-TsState -Path $StatePath -State $state
            }
            $state.S3 = Start-TsRgw
            Write-TsState -Path $StatePath -State $state
            Set-TsS3Env $state.S3
            $result.StartedS3 = $true
            $result.Started += 'S3'
        }
    }

    if ($Only -contains 'S3rver') {
        if ($env:CLUTTERDR_TEST_S3RVER_ENDPOINT -and (Test-TsS3 -Endpoint $env:CLUTTERDR_TEST_S3RVER_ENDPOINT)) {
            Set-TsS3rverEnv @{ Endpoint = $env:CLUTTERDR_TEST_S3RVER_ENDPOINT; AccessKey = 'S3RVER'; SecretKey = 'S3RVER' }
            $result.ReusedS3rver = $true
            Write-TsStatus "s3rver: reusing $($env:CLUTTERDR_TEST_S3RVER_ENDPOINT) from the environment (started nothing)"
        } elseif ($state.S3rver -and (Test-TsProcess -ProcessId $state.S3rver.Pid -NameLike 'node*') -and (Test-TsS3 -Endpoint $state.S3rver.Endpoint)) {
            Set-TsS3rverEnv $state.S3rver
            $result.ReusedS3rver = $true
            Write-TsStatus "s3rver: reusing $($state.S3rver.Endpoint) from $StatePath (started nothing)"
        } else {
            if ($state.S3rver) {
                Stop-TsS3 -Entry $state.S3rver
                $state.S3rver = $null
                Write-TsState -Path $StatePath -State $state
            }
            $state.S3rver = Start-TsS3
            Write-TsState -Path $StatePath -State $state
            Set-TsS3rverEnv $state.S3rver
            $result.StartedS3rver = $true
            $result.Started += 'S3rver'
        }
    }
} catch {
    # Do not leave services we just started running when a later one fails: the caller gets no result to stop them.
    $err = $_
    foreach ($started in $result.Started) {
        try {
            switch ($started) {
                'Postgres' { Stop-TsPostgres -Entry $state.Postgres; $state.Postgres = $null }
                'Supabase' { Stop-TsPostgres -Entry $state.Supabase; $state.Supabase = $null }
                'S3' { Stop-TsRgw -Entry $state.S3; $state.S3 = $null }
                'S3rver' { Stop-TsS3 -Entry $state.S3rver; $state.S3rver = $null }
            }
            Write-TsState -Path $StatePath -State $state
        } catch { Write-Verbose "cleanup failed: $_" }
    }
    throw $err
}

if ($ShellExports) {
    foreach ($k in $result.Environment.Keys) {
        "export $k='" + ($result.Environment[$k] -replace "'", "'\''") + "'"
    }
} else {
    [pscustomobject]$result
}
