# Helpers shared by Start-TestServices.ps1 and Stop-TestServices.ps1 (dot-sourced; not a public API).
# Cross-platform by design: paths through Join-Path / [IO.Path], executables with their platform suffix.

Set-StrictMode -Version 3.0

$script:TsStatusToStdErr = $false

function Write-TsStatus {
    param([Parameter(Mandatory)] [string]$Message)
    if ($script:TsStatusToStdErr) { [Console]::Error.WriteLine("[test-services] $Message") }
    else { Write-Host "[test-services] $Message" }
}

function Get-TsDefaultStatePath {
    # CLUTTERDR_TEST_STATE gives a run its own services (two checkouts testing at once must not share them).
    if ($env:CLUTTERDR_TEST_STATE) { return $env:CLUTTERDR_TEST_STATE }
    Join-Path (Join-Path ([IO.Path]::GetTempPath()) 'clutterdr-test-services') 'state.json'
}

function Test-TsIsRoot {
    if ($IsWindows) { return $false }
    try { return ((& id -u) -eq '0') } catch { return $false }
}

function Get-TsExeName {
    param([Parameter(Mandatory)] [string]$Name)
    if ($IsWindows) { "$Name.exe" } else { $Name }
}

function Find-TsPgBin {
    # Order: $env:CLUTTERDR_PG_BIN, `pg_config --bindir`, the Debian/Ubuntu default, the Windows installer default.
    if ($env:CLUTTERDR_PG_BIN) {
        # An explicit choice is not second-guessed.
        if (Test-Path -LiteralPath (Join-Path $env:CLUTTERDR_PG_BIN (Get-TsExeName 'initdb')) -PathType Leaf) {
            return (Resolve-Path -LiteralPath $env:CLUTTERDR_PG_BIN).ProviderPath
        }
        throw "CLUTTERDR_PG_BIN is '$($env:CLUTTERDR_PG_BIN)', but it holds no $(Get-TsExeName 'initdb')."
    }
    $candidates = [Collections.Generic.List[string]]::new()
    $pgConfig = Get-Command pg_config -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($pgConfig) {
        try {
            $dir = (& $pgConfig.Source --bindir 2>$null | Select-Object -First 1)
            if ($dir) { $candidates.Add($dir.Trim()) }
        } catch { Write-Verbose "pg_config --bindir failed: $_" }
    }
    if ($IsWindows) {
        foreach ($pf in @($env:ProgramFiles, ${env:ProgramFiles(x86)}) | Where-Object { $_ }) {
            $candidates.Add((Join-Path (Join-Path (Join-Path $pf 'PostgreSQL') '15') 'bin'))
        }
    } else {
        $candidates.Add('/usr/lib/postgresql/15/bin')
    }
    foreach ($dir in $candidates) {
        if ($dir -and (Test-Path -LiteralPath (Join-Path $dir (Get-TsExeName 'initdb')) -PathType Leaf)) {
            return (Resolve-Path -LiteralPath $dir).ProviderPath
        }
    }
    throw "PostgreSQL server binaries (initdb, pg_ctl, psql) not found. Looked in: $($candidates -join ', '). " +
        'Install postgresql-15 or set CLUTTERDR_PG_BIN to the folder that holds initdb.'
}

function Get-TsFreePort {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { return ([Net.IPEndPoint]$listener.LocalEndpoint).Port } finally { $listener.Stop() }
}

function Read-TsState {
    param([Parameter(Mandatory)] [string]$Path)
    $state = [ordered]@{ Postgres = $null; S3 = $null; S3rver = $null; Supabase = $null }
    if (Test-Path -LiteralPath $Path -PathType Leaf) {
        try {
            $json = Get-Content -LiteralPath $Path -Raw | ConvertFrom-Json -AsHashtable
            if ($json) {
                if ($json.ContainsKey('Postgres')) { $state.Postgres = $json.Postgres }
                if ($json.ContainsKey('S3')) { $state.S3 = $json.S3 }
                if ($json.ContainsKey('S3rver')) { $state.S3rver = $json.S3rver }
                if ($json.ContainsKey('Supabase')) { $state.Supabase = $json.Supabase }
            }
        } catch { Write-Warning "Ignoring unreadable state file '$Path': $_" }
    }
    return $state
}

function Write-TsState {
    param([Parameter(Mandatory)] [string]$Path, [Parameter(Mandatory)] $State)
    if (-not $State.Postgres -and -not $State.S3 -and -not $State.S3rver -and -not $State.Supabase) {
        if (Test-Path -LiteralPath $Path) { Remove-Item -LiteralPath $Path -Force }
        return
    }
    $dir = Split-Path -Parent $Path
    if (-not (Test-Path -LiteralPath $dir)) { $null = New-Item -ItemType Directory -Path $dir -Force }
    $tmp = "$Path.tmp"
    $State | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $tmp -Encoding utf8NoBOM
    Move-Item -LiteralPath $tmp -Destination $Path -Force
}

function Invoke-TsNative {
    # Runs a native command, returns its merged output lines; throws with the output on a non-zero exit.
    # -AsPostgres: when running as root on Unix, run it as the 'postgres' OS user (initdb/pg_ctl refuse root).
    param(
        [Parameter(Mandatory)] [string]$FilePath,
        [string[]]$ArgumentList = @(),
        [switch]$AsPostgres,
        [switch]$IgnoreExitCode,
        [string]$WorkingDirectory
    )
    $exe = $FilePath
    $argv = $ArgumentList
    if ($AsPostgres -and (Test-TsIsRoot)) {
        $exe = 'runuser'
        $argv = @('-u', 'postgres', '--', $FilePath) + $ArgumentList
    }
    $ErrorActionPreference = 'Continue'
    if ($WorkingDirectory) { Push-Location -LiteralPath $WorkingDirectory }
    try {
        $out = & $exe @argv 2>&1 | ForEach-Object { "$_" }
        $code = $LASTEXITCODE
    } finally {
        if ($WorkingDirectory) { Pop-Location }
    }
    if ($code -ne 0 -and -not $IgnoreExitCode) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code ${code}:$([Environment]::NewLine)$($out -join [Environment]::NewLine)"
    }
    return , @($out)
}

function Test-TsPostgres {
    # True when a password login over TCP answers `select 1`.
    param([string]$BinDir, [string]$HostName, [string]$Port, [string]$User, [string]$Password)
    if (-not $BinDir -or -not $HostName -or -not $Port -or -not $User) { return $false }
    $psql = Join-Path $BinDir (Get-TsExeName 'psql')
    if (-not (Test-Path -LiteralPath $psql -PathType Leaf)) { return $false }
    $saved = $env:PGPASSWORD
    try {
        $env:PGPASSWORD = $Password
        $ErrorActionPreference = 'Continue'
        $out = & $psql -w -X -A -t -d "host=$HostName port=$Port user=$User dbname=postgres connect_timeout=3 sslmode=disable" -c 'select 1' 2>&1
        return ($LASTEXITCODE -eq 0 -and ("$out".Trim() -eq '1'))
    } catch {
        return $false
    } finally {
        $env:PGPASSWORD = $saved
    }
}

function Test-TsS3 {
    # True when the endpoint answers HTTP at all (any status code).
    param([string]$Endpoint, [int]$TimeoutMs = 2000)
    if (-not $Endpoint) { return $false }
    $client = [Net.Http.HttpClient]::new()
    try {
        $client.Timeout = [TimeSpan]::FromMilliseconds($TimeoutMs)
        $response = $client.GetAsync($Endpoint).GetAwaiter().GetResult()
        $response.Dispose()
        return $true
    } catch {
        return $false
    } finally {
        $client.Dispose()
    }
}

function Test-TsProcess {
    # True when a process with this id is alive and its name matches (guards against a recycled PID).
    param([int]$ProcessId, [string[]]$NameLike)
    if ($ProcessId -le 0) { return $false }
    $p = Get-Process -Id $ProcessId -ErrorAction SilentlyContinue
    if (-not $p -or (Test-TsProcessGone $p)) { return $false }
    foreach ($n in $NameLike) { if ($p.ProcessName -like $n) { return $true } }
    return $false
}

function Test-TsProcessGone {
    # Process.HasExited stays false for an exited process that is not our child until its parent (often
    # PID 1) reaps it, which can take seconds in a container: on Linux a zombie counts as gone.
    param([Parameter(Mandatory)] [Diagnostics.Process]$Process)
    if ($Process.HasExited) { return $true }
    if ($IsLinux) {
        $stat = Join-Path (Join-Path '/proc' $Process.Id) 'stat'
        try { $text = [IO.File]::ReadAllText($stat) } catch { return $true }
        # /proc/<pid>/stat: "pid (comm) S ...": the state follows the last ')'.
        $state = $text.Substring($text.LastIndexOf(')') + 1).Trim().Split(' ')[0]
        return ($state -eq 'Z' -or $state -eq 'X')
    }
    return $false
}

function Stop-TsProcess {
    param([int]$ProcessId, [string[]]$NameLike, [int]$GraceMs = 0, [int]$TimeoutMs = 10000)
    if (-not (Test-TsProcess -ProcessId $ProcessId -NameLike $NameLike)) { return }
    $p = Get-Process -Id $ProcessId -ErrorAction SilentlyContinue
    if (-not $p) { return }
    # Give a process that is already on its way out (a postmaster after pg_ctl stop) a moment first.
    $deadline = [DateTime]::UtcNow.AddMilliseconds($GraceMs)
    while (-not (Test-TsProcessGone $p) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
    if (Test-TsProcessGone $p) { return }
    try { $p.Kill() } catch { Write-Verbose "kill $ProcessId failed: $_" }
    # Poll rather than Process.WaitForExit, for the same reason as above.
    $deadline = [DateTime]::UtcNow.AddMilliseconds($TimeoutMs)
    while (-not (Test-TsProcessGone $p) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
    if (-not (Test-TsProcessGone $p)) { Write-Warning "Process $ProcessId ($($p.ProcessName)) did not exit." }
}

function Remove-TsDirectory {
    param([string]$Path)
    if (-not $Path -or -not (Test-Path -LiteralPath $Path)) { return }
    for ($i = 0; $i -lt 5; $i++) {
        try { Remove-Item -LiteralPath $Path -Recurse -Force -ErrorAction Stop; return }
        catch { Start-Sleep -Milliseconds 200 }
    }
    Write-Warning "Could not remove '$Path'."
}

function Stop-TsPostgres {
    param([Parameter(Mandatory)] $Entry)
    $dataDir = $Entry.DataDir
    $pg_ctl = Join-Path $Entry.BinDir (Get-TsExeName 'pg_ctl')
    $postmasterPid = 0
    $pidFile = if ($dataDir) { Join-Path $dataDir 'postmaster.pid' } else { $null }
    if ($pidFile -and (Test-Path -LiteralPath $pidFile)) {
        $first = Get-Content -LiteralPath $pidFile -TotalCount 1 -ErrorAction SilentlyContinue
        [void][int]::TryParse("$first", [ref]$postmasterPid)
    }
    if ($postmasterPid -gt 0 -and (Test-Path -LiteralPath $pg_ctl)) {
        $out = Invoke-TsNative -FilePath $pg_ctl -ArgumentList @('-D', $dataDir, '-m', 'fast', '-w', '-t', '30', 'stop') `
            -AsPostgres -IgnoreExitCode -WorkingDirectory $Entry.RunDir
        Write-Verbose ($out -join [Environment]::NewLine)
    }
    # Belt and braces: pg_ctl may have failed (data dir half gone); never leave a postmaster behind.
    Stop-TsProcess -ProcessId $postmasterPid -NameLike 'postgres*' -GraceMs 3000
    Remove-TsDirectory $Entry.RunDir
}

function Stop-TsS3 {
    param([Parameter(Mandatory)] $Entry)
    Stop-TsProcess -ProcessId ([int]$Entry.Pid) -NameLike 'node*'
    Remove-TsDirectory $Entry.RunDir
}

$script:TsPgEnvNames = @(
    'CLUTTERDR_TEST_PG_HOST', 'CLUTTERDR_TEST_PG_PORT', 'CLUTTERDR_TEST_PG_USER', 'CLUTTERDR_TEST_PG_PASSWORD',
    'CLUTTERDR_TEST_PG_SOCKET', 'CLUTTERDR_TEST_PG_URL')
$script:TsSupabaseEnvNames = @('CLUTTERDR_TEST_SUPABASE_HOST', 'CLUTTERDR_TEST_SUPABASE_PORT', 'CLUTTERDR_TEST_SUPABASE_SUPERUSER', 'CLUTTERDR_TEST_SUPABASE_PASSWORD')
$script:TsS3EnvNames = @(
    'CLUTTERDR_TEST_S3_ENDPOINT', 'CLUTTERDR_TEST_S3_ACCESS_KEY', 'CLUTTERDR_TEST_S3_SECRET_KEY', 'CLUTTERDR_TEST_S3_REGION',
    'CLUTTERDR_TEST_S3_SERVER')
$script:TsS3rverEnvNames = @('CLUTTERDR_TEST_S3RVER_ENDPOINT', 'CLUTTERDR_TEST_S3RVER_ACCESS_KEY', 'CLUTTERDR_TEST_S3RVER_SECRET_KEY')
