<#
.SYNOPSIS
    Benchmarks Backup-ClutterDatabase / Restore-ClutterDatabase against pg_dump, the seed runbook and pg_restore.

.DESCRIPTION
    For each scale, loads tests/Fixtures/clutter-schema.sql into a fresh database (VACUUM FREEZE ANALYZE, so
    no step pays for hint bits another did not) and measures, in the same run and on that same database:

      producer limit      pg_dump -Fc -Z0 <db> > /dev/null
      seed runbook        pg_dump -Fc -f file; gzip -k file; /usr/bin/aws s3 cp file.gz s3://bucket/... (sum of the 3)
      Backup-Clutter...   Backup-ClutterDatabase -> s3://bucket/... (Ceph RGW, the real S3 server), in a fresh pwsh
      pg_restore          pg_restore -d <new db> <runbook's custom-format file> (database created beforehand, untimed)
      Restore-Clutter...  Restore-ClutterDatabase from that S3 backup -CreateDatabase, in a fresh pwsh
      pwsh baseline       pwsh -NoProfile -c 'Import-Module ClutterDR' (the RSS that is PowerShell, not the backup)

    The test services run two S3 servers: Ceph RGW (CLUTTERDR_TEST_S3_*; radosgw, ceph-osd, ceph-mon) and s3rver
    (CLUTTERDR_TEST_S3RVER_*; node). The rows above use RGW; the runbook's `aws s3 cp`, Backup-ClutterDatabase and
    Restore-ClutterDatabase are also run against s3rver in the same run, side by side, so that each server's
    overhead is known: the report gives each against the baselines and RGW/s3rver. Without s3rver those rows are left out.

    Every step runs under GNU time (`/usr/bin/time -f '%e %M %U %S'`): wall seconds, peak RSS and CPU seconds.
    GNU time's peak RSS is that of the largest single process of the tree (not a sum): for the pwsh steps that
    is pwsh itself. pg_dump / pg_restore started by the module run through a wrapper (CLUTTERDR_PG_BIN) that puts
    them under GNU time too, so their own peak is reported separately. Inside the pwsh steps the cmdlet call is
    also timed alone (without pwsh start-up and Import-Module): the backup/restore targets use that time.

    With -Diagnose, extra rows show where the backup's time goes: the same cmdlet with -CompressionLevel 1,
    -Compression None and/or to a folder; the native pipelines pg_dump | cat, pg_dump | zstd -3 (to /dev/null) and
    pg_dump | zstd -3 / -1 | aws s3 cp - (to RGW, as the backup rows); the row counts Backup-ClutterDatabase runs beside
    pg_dump; and pg_restore --single-transaction (as the module runs it).

    Each row also shows the CPU the PostgreSQL server and the S3 server the step talks to used during the step, and
    the CPU anything else on the machine used ("other": noise; the idle S3 server is counted in neither). Before
    each step the script waits for the machine to go quiet.
    An interrupted run leaves its scratch folder and clutterdr_bench_* databases; the next run drops the latter.

    Services: tests/TestServices/Start-TestServices.ps1 reuses PostgreSQL / RGW / s3rver that CLUTTERDR_TEST_* already
    point at (and then this script does not stop them); otherwise it starts them, and this script stops what it started.
    Everything this script creates (databases, S3 objects, files under -WorkDir) is removed at the end.

    Writes the markdown report to bench/results/backup-<date>.md and to stdout.

.PARAMETER Scale
    Fixture scales to run (scale 1 ~ 52 MB, scale 10 ~ 454 MB). Several scales (e.g. -Scale 1,10) also check
    that Backup-ClutterDatabase's peak memory does not grow with the database.

.PARAMETER Runs
    Repetitions of every step at each scale. The table shows the median seconds and the highest peak RSS.

.PARAMETER SkipBuild
    Use the module already laid out in out/ClutterDR (or -ModulePath) instead of building it.

.PARAMETER ModulePath
    A ClutterDR module folder (or its .psd1) to benchmark instead of out/ClutterDR. Implies -SkipBuild.

.PARAMETER Diagnose
    Add the diagnostic rows described above.

.PARAMETER WorkDir
    Scratch folder (dump files, service data when started here). Default: a new folder under /tmp.

.PARAMETER QuietTimeout
    Before each step, wait up to this many seconds until the machine is near idle (other processes use < 0.2
    cores). 0: do not wait. Steps measured while other processes used CPU show it in the "other CPU s" column.

.PARAMETER KeepWork
    Leave the scratch folder (not the databases or services) behind for inspection.

.EXAMPLE
    dotnet pwsh ./bench/backup.ps1 -Scale 1,10 -Runs 1 -Diagnose
#>
#Requires -Version 7.2
[CmdletBinding()]
param(
    # [string[]]: `dotnet pwsh ./bench/backup.ps1 -Scale 1,10` passes "1,10" as one string.
    [string[]]$Scale = @('10'),
    [ValidateRange(1, 50)]
    [int]$Runs = 1,
    [switch]$SkipBuild,
    [string]$ModulePath,
    [switch]$Diagnose,
    [string]$WorkDir,
    [switch]$KeepWork,
    [ValidateRange(0, 86400)]
    [int]$QuietTimeout = 600
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

if (-not $IsLinux) { throw 'bench/backup.ps1 measures with GNU time and /proc: it runs on Linux only.' }
if (-not (Test-Path -LiteralPath '/usr/bin/time' -PathType Leaf)) { throw 'GNU time (/usr/bin/time) is missing: apt-get install time.' }

$RepoRoot = Split-Path -Parent $PSScriptRoot
$ResultsDir = Join-Path $PSScriptRoot 'results'
$Fixture = Join-Path (Join-Path (Join-Path $RepoRoot 'tests') 'Fixtures') 'clutter-schema.sql'
$TestServicesDir = Join-Path (Join-Path $RepoRoot 'tests') 'TestServices'
$Scale = @(foreach ($item in $Scale) {
        foreach ($part in ($item -split '[,\s]+' | Where-Object { $_ })) {
            $n = 0
            if (-not [int]::TryParse($part, [ref]$n) -or $n -lt 1 -or $n -gt 1000) { throw "-Scale: '$part' is not a whole number from 1 to 1000." }
            $n
        }
    }) | Sort-Object -Unique
$Scale = [int[]]@($Scale)
$RunId = 'bench-' + (Get-Date -Format 'yyyyMMdd-HHmmss') + '-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
$Bucket = 'clutterdr-bench'
if (-not $WorkDir) { $WorkDir = Join-Path ([IO.Path]::GetTempPath()) "clutterdr-$RunId" }
$WorkDir = [IO.Path]::GetFullPath($WorkDir)

. (Join-Path $PSScriptRoot '_BenchCommon.ps1')   # Write-Status, ConvertTo-ShArg, Get-PwshCommand, Get-MachineBusySeconds, Get-ServerCpuByGroup, Get-SelfCpuSeconds, Invoke-SignedS3Request, Get-S3ServerProcessIds

# ------------------------------------------------------------------------------------------------ machine noise
# The machine may be shared (2 cores here): CPU used during a step by processes that are not the step's own tree,
# not the servers and not this script is reported as "other CPU s"; before each step the script waits (up to
# -QuietTimeout seconds) until the whole machine is near idle. "Server CPU s" is PostgreSQL plus the S3 server the
# step talks to (none for steps without S3); the other S3 server idles meanwhile and is counted in neither.
$script:ServerGroups = [ordered]@{}   # 'Postgres' | 'RGW' | 's3rver' -> process ids (RGW: radosgw, ceph-osd, ceph-mon)
$script:ServicePids = @()             # all of them
# Get-ServerCpuByGroup and Get-SelfCpuSeconds: _BenchCommon.ps1.
# Processes whose parent is one of the servers (PostgreSQL backends).
function Get-ServerChildCount {
    if (-not $script:ServicePids) { return 0 }
    $n = 0
    foreach ($dir in [IO.Directory]::EnumerateDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($dir)
        if ($name -notmatch '^\d+$') { continue }
        try { $stat = [IO.File]::ReadAllText("$dir/stat") } catch { continue }
        $ppid = [int](($stat.Substring($stat.LastIndexOf(')') + 2) -split ' ')[1])
        if ($script:ServicePids -contains $ppid) { $n++ }
    }
    $n
}
function Wait-Quiet {
    if ($QuietTimeout -le 0) { return }
    $deadline = [DateTime]::UtcNow.AddSeconds($QuietTimeout)
    $told = $false
    while ($true) {
        $b0 = Get-MachineBusySeconds; $s0 = Get-SelfCpuSeconds
        Start-Sleep -Milliseconds 1000
        $busy = (Get-MachineBusySeconds) - $b0 - ((Get-SelfCpuSeconds) - $s0)
        if ($busy -lt 0.2) { return }
        if ([DateTime]::UtcNow -gt $deadline) {
            Write-Status ('  machine still busy ({0:N2} cores used by other processes) after {1} s: measuring anyway' -f $busy, $QuietTimeout)
            $script:NoisyWaits++
            return
        }
        if (-not $told) { Write-Status ('  waiting for the machine to go quiet ({0:N2} cores busy outside this step)' -f $busy); $told = $true }
        Start-Sleep -Seconds 2
    }
}

# Runs one command line under GNU time. Returns seconds (wall), peak RSS (MB, largest process of the tree),
# CPU seconds (user+sys of the tree), the servers' CPU (-S3: the S3 server the step talks to), exit code and the stderr tail.
function Invoke-Timed {
    param(
        [string[]]$Command = @(),
        [string]$StdOut = '/dev/null',
        [string]$StdIn,
        [string]$ShellLine,           # a whole sh command line (pipelines) instead of -Command
        [hashtable]$Environment = @{},
        [string]$S3 = '',             # 'RGW' | 's3rver': the S3 server the step talks to ('' = none)
        [switch]$AllowFailure,
        [switch]$NoWait
    )
    $id = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $timeFile = Join-Path $WorkDir "time-$id.txt"
    $errFile = Join-Path $WorkDir "stderr-$id.txt"
    $inner = if ($ShellLine) { "/bin/sh -c $(ConvertTo-ShArg $ShellLine)" } else { ($Command | ForEach-Object { ConvertTo-ShArg $_ }) -join ' ' }
    $line = "exec /usr/bin/time -o $(ConvertTo-ShArg $timeFile) -f '%e %M %U %S' $inner >$(ConvertTo-ShArg $StdOut) 2>$(ConvertTo-ShArg $errFile)"
    if ($StdIn) { $line += " <$(ConvertTo-ShArg $StdIn)" }
    $saved = @{}
    foreach ($k in $Environment.Keys) {
        $saved[$k] = [Environment]::GetEnvironmentVariable($k)
        [Environment]::SetEnvironmentVariable($k, [string]$Environment[$k])
    }
    try {
        if (-not $NoWait) { Wait-Quiet }
        $children0 = Get-ServerChildCount
        $srv0 = Get-ServerCpuByGroup; $self0 = Get-SelfCpuSeconds; $busy0 = Get-MachineBusySeconds
        & /bin/sh -c $line
        $rc = $LASTEXITCODE
        # A backend's CPU moves to the postmaster's "children" total only once it has exited and been reaped:
        # wait (up to 3 s) for the step's backends to go before reading the servers' CPU.
        $until = [DateTime]::UtcNow.AddSeconds(3)
        while ((Get-ServerChildCount) -gt $children0 -and [DateTime]::UtcNow -lt $until) { Start-Sleep -Milliseconds 50 }
        $busy1 = Get-MachineBusySeconds; $self1 = Get-SelfCpuSeconds; $srv1 = Get-ServerCpuByGroup
    } finally {
        foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
    }
    $stderr = if (Test-Path -LiteralPath $errFile) { (Get-Content -LiteralPath $errFile -Raw) } else { '' }
    $stats = if (Test-Path -LiteralPath $timeFile) {
        Get-Content -LiteralPath $timeFile | Where-Object { $_ -match '^[\d.]+ \d+ [\d.]+ [\d.]+$' } | Select-Object -Last 1
    }
    Remove-Item -LiteralPath $timeFile, $errFile -Force -ErrorAction SilentlyContinue
    if ($rc -ne 0 -and -not $AllowFailure) {
        $what = if ($ShellLine) { $ShellLine } else { $Command -join ' ' }
        throw "Failed (exit $rc): $what`n$stderr"
    }
    if (-not $stats) { throw "GNU time wrote no statistics for: $($Command -join ' ') $ShellLine`n$stderr" }
    $f = $stats -split ' '
    $inv = [Globalization.CultureInfo]::InvariantCulture
    $cpu = [double]::Parse($f[2], $inv) + [double]::Parse($f[3], $inv)
    $pgCpu = 0.0; $s3Cpu = 0.0; $idleCpu = 0.0
    foreach ($g in $srv1.Keys) {
        $d = $srv1[$g] - $srv0[$g]
        if ($g -eq 'Postgres') { $pgCpu += $d } elseif ($g -eq $S3) { $s3Cpu += $d } else { $idleCpu += $d }
    }
    [pscustomobject]@{
        Seconds = [double]::Parse($f[0], $inv)
        PeakMB  = [long]$f[1] / 1024.0
        CpuSec  = $cpu
        ServerCpuSec = [math]::Max(0.0, $pgCpu + $s3Cpu)
        S3CpuSec     = [math]::Max(0.0, $s3Cpu)
        OtherCpuSec  = [math]::Max(0.0, ($busy1 - $busy0) - $cpu - $pgCpu - $s3Cpu - $idleCpu - ($self1 - $self0))
        Exit    = $rc
        StdErr  = $stderr
    }
}

function Invoke-Psql {
    param([string]$Database = 'postgres', [Parameter(Mandatory)] [string]$Sql)
    $out = & $script:Psql -X -q -t -A -v ON_ERROR_STOP=1 -h $script:PgHost -p $script:PgPort -U $script:PgUser -d $Database -c $Sql 2>&1
    if ($LASTEXITCODE -ne 0) { throw "psql failed ($LASTEXITCODE) on '$Sql': $out" }
    $out
}

function Remove-Database([string]$Name) {
    Invoke-Psql -Sql "drop database if exists `"$Name`" with (force)" | Out-Null
}

function Get-PgUrl([string]$Database) {
    'postgresql://{0}:{1}@{2}:{3}/{4}' -f [uri]::EscapeDataString($script:PgUser), [uri]::EscapeDataString($script:PgPassword),
        $script:PgHost, $script:PgPort, $Database
}

function Get-Median([double[]]$Values) {
    $s = @($Values | Sort-Object)
    if ($s.Count -eq 0) { return [double]::NaN }
    if ($s.Count % 2) { return $s[[int][math]::Floor($s.Count / 2)] }
    return ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2
}

# The environment that points the AWS default chain (awscli, the module) at one S3 server's credentials.
function Get-S3Environment([string]$Server) {
    $s = $script:S3Servers[$Server]
    @{ AWS_ACCESS_KEY_ID = $s.AccessKey; AWS_SECRET_ACCESS_KEY = $s.SecretKey }
}

function Remove-S3Prefix([string]$Prefix, [string]$Server = 'RGW') {
    if (-not $script:Aws -or -not $script:S3Servers.Contains($Server)) { return }
    $saved = @{}
    $envVars = Get-S3Environment $Server
    foreach ($k in $envVars.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $envVars[$k]) }
    try { $null = & $script:Aws s3 rm "s3://$Bucket/$Prefix" --recursive --endpoint-url $script:S3Servers[$Server].Endpoint --only-show-errors 2>&1 }
    finally { foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }
}

# ------------------------------------------------------------------------------------------------ the module
function Publish-ModuleFallback([string[]]$Pwsh) {
    $publish = Join-Path $WorkDir 'publish'
    & dotnet publish (Join-Path (Join-Path (Join-Path $RepoRoot 'src') 'ClutterDR') 'ClutterDR.csproj') -c Release -o $publish --nologo 2>&1 |
        ForEach-Object { [Console]::Error.WriteLine("  $_") }
    if ($LASTEXITCODE -ne 0) { throw "dotnet publish failed ($LASTEXITCODE)" }
    $dir = Join-Path (Join-Path $WorkDir 'publish-layout') 'ClutterDR'
    $null = New-Item -ItemType Directory -Path $dir -Force
    Get-ChildItem -LiteralPath $publish -Filter '*.dll' | Where-Object Name -ne 'System.Management.Automation.dll' |
        Copy-Item -Destination $dir
    Copy-Item -LiteralPath (Join-Path $RepoRoot 'ClutterDR.psd1') -Destination $dir
    Copy-Item -LiteralPath (Join-Path (Join-Path (Join-Path $RepoRoot 'src') 'ClutterDR') 'ClutterDR.Format.ps1xml') -Destination $dir
    return $dir
}

function Get-BenchModule([string[]]$Pwsh) {
    $source = $null
    if ($ModulePath) {
        $source = if ($ModulePath -like '*.psd1') { Split-Path -Parent $ModulePath } else { $ModulePath }
    } elseif ($SkipBuild) {
        $source = Join-Path (Join-Path $RepoRoot 'out') 'ClutterDR'
    } else {
        Write-Status 'building the module (build.ps1 -Task Build)'
        $exe = $Pwsh[0]; $argv = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $RepoRoot 'build.ps1'), '-Task', 'Build')
        Push-Location -LiteralPath $RepoRoot
        try { & $exe @argv 2>&1 | ForEach-Object { [Console]::Error.WriteLine("  $_") }; $rc = $LASTEXITCODE } finally { Pop-Location }
        $source = Join-Path (Join-Path $RepoRoot 'out') 'ClutterDR'
        if ($rc -ne 0 -or -not (Test-Path -LiteralPath (Join-Path $source 'ClutterDR.psd1'))) {
            Write-Status "build.ps1 failed (exit $rc): falling back to dotnet publish"
            $source = Publish-ModuleFallback $Pwsh
            $script:BuildNote = "build.ps1 failed (exit $rc); module from dotnet publish"
        }
    }
    if (-not (Test-Path -LiteralPath (Join-Path $source 'ClutterDR.psd1') -PathType Leaf)) { throw "No ClutterDR.psd1 in '$source'." }
    # A private copy: others may rebuild out/ while the benchmark runs.
    $dest = Join-Path (Join-Path $WorkDir 'module') 'ClutterDR'
    $null = New-Item -ItemType Directory -Path $dest -Force
    Copy-Item -Path (Join-Path $source '*') -Destination $dest -Recurse -Force
    return (Join-Path $dest 'ClutterDR.psd1')
}

# ------------------------------------------------------------------------------------------------ child scripts
$ChildBackup = @'
param([string]$Module, [string]$ConnectionString, [string]$Destination, [string]$EndpointUrl, [string]$Compression, [int]$Level, [string]$ResultPath, [string]$Recipient)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$t0 = [Diagnostics.Stopwatch]::StartNew()
Import-Module $Module
$import = $t0.Elapsed.TotalSeconds
# '|' separates several destinations (one dump, a copy in each).
$p = @{ ConnectionString = $ConnectionString; Destination = @($Destination -split '\|'); Compression = $Compression }
if ($EndpointUrl) { $p.EndpointUrl = $EndpointUrl }
if ($Level -gt 0) { $p.CompressionLevel = $Level }
if ($Recipient) { $p.Recipient = $Recipient }
$sw = [Diagnostics.Stopwatch]::StartNew()
$info = @(Backup-ClutterDatabase @p)[0]
$sw.Stop()
$me = Get-Process -Id $PID
[ordered]@{
    CmdletSeconds = $sw.Elapsed.TotalSeconds; ImportSeconds = $import
    Location = $info.Location; SizeBytes = $info.SizeBytes; RawSizeBytes = $info.RawSizeBytes
    PwshPeakMB = $me.PeakWorkingSet64 / 1MB; GcHeapMB = [GC]::GetTotalMemory($false) / 1MB
    MaxGcHeapMB = [GC]::GetGCMemoryInfo().HeapSizeBytes / 1MB
} | ConvertTo-Json | Set-Content -LiteralPath $ResultPath
'@

$ChildRestore = @'
param([string]$Module, [string]$Location, [string]$TargetConnectionString, [string]$EndpointUrl, [string]$ResultPath)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
$p = @{ Location = $Location; TargetConnectionString = $TargetConnectionString; CreateDatabase = $true; Confirm = $false }
if ($EndpointUrl) { $p.EndpointUrl = $EndpointUrl }
$sw = [Diagnostics.Stopwatch]::StartNew()
$r = Restore-ClutterDatabase @p
$sw.Stop()
$me = Get-Process -Id $PID
[ordered]@{
    CmdletSeconds = $sw.Elapsed.TotalSeconds; Verified = [bool]$r.Verified; Tables = @($r.Tables).Count
    PwshPeakMB = $me.PeakWorkingSet64 / 1MB
} | ConvertTo-Json | Set-Content -LiteralPath $ResultPath
'@

# pg_dump / pg_restore as the module starts them, under GNU time, appending '<name> <wall> <peak KB>' to a log.
function New-PgWrapperBin([string]$RealBin) {
    $dir = Join-Path $WorkDir 'pgbin'
    $null = New-Item -ItemType Directory -Path $dir -Force
    foreach ($tool in 'pg_dump', 'pg_restore') {
        $path = Join-Path $dir $tool
        $text = "#!/bin/sh`nexec /usr/bin/time -a -o `"`${CLUTTERDR_BENCH_TOOL_LOG:-/dev/null}`" -f '$tool %e %M' $(ConvertTo-ShArg (Join-Path $RealBin $tool)) `"`$@`"`n"
        [IO.File]::WriteAllText($path, $text)
        & chmod 0755 $path
    }
    foreach ($tool in 'psql') {
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $dir $tool) -Target (Join-Path $RealBin $tool) -Force
    }
    return $dir
}

# The last line of the wrapper log (the real run; earlier lines are `--version` probes).
function Read-ToolLog([string]$Path) {
    if (-not (Test-Path -LiteralPath $Path)) { return $null }
    $last = Get-Content -LiteralPath $Path | Where-Object { $_ -match '^\S+ [\d.]+ \d+$' } | Select-Object -Last 1
    if (-not $last) { return $null }
    $f = $last -split ' '
    [pscustomobject]@{ Tool = $f[0]; Seconds = [double]::Parse($f[1], [Globalization.CultureInfo]::InvariantCulture); PeakMB = [long]$f[2] / 1024.0 }
}

function Invoke-ChildBackup {
    # -S3: the S3 server ('RGW' | 's3rver') of an s3:// destination; '' for a folder.
    param([string]$Database, [string]$Destination, [string]$Compression = 'Zstd', [int]$Level = 0, [string]$S3 = '', [string]$Recipient = '')
    $result = Join-Path $WorkDir "result-$([guid]::NewGuid().ToString('N').Substring(0, 8)).json"
    $toolLog = Join-Path $WorkDir "tools-$([guid]::NewGuid().ToString('N').Substring(0, 8)).log"
    $cmd = $script:PwshCmd + @('-NoProfile', '-NonInteractive', '-File', $script:ChildBackupPath,
        '-Module', $script:ModuleManifest, '-ConnectionString', (Get-PgUrl $Database), '-Destination', $Destination,
        '-EndpointUrl', $(if ($S3) { $script:S3Servers[$S3].Endpoint } else { '' }), '-Compression', $Compression, '-Level', "$Level", '-ResultPath', $result, '-Recipient', $Recipient)
    $envVars = @{ CLUTTERDR_PG_BIN = $script:WrapperBin; CLUTTERDR_BENCH_TOOL_LOG = $toolLog }
    if ($S3) { $envVars += Get-S3Environment $S3 }
    $t = Invoke-Timed -Command $cmd -Environment $envVars -S3 $S3
    $r = Get-Content -LiteralPath $result -Raw | ConvertFrom-Json
    $tool = Read-ToolLog $toolLog
    Remove-Item -LiteralPath $result, $toolLog -Force -ErrorAction SilentlyContinue
    [pscustomobject]@{ Timed = $t; Result = $r; Tool = $tool }
}

function Invoke-ChildRestore {
    param([string]$Location, [string]$Target, [string]$S3 = 'RGW')
    $result = Join-Path $WorkDir "result-$([guid]::NewGuid().ToString('N').Substring(0, 8)).json"
    $toolLog = Join-Path $WorkDir "tools-$([guid]::NewGuid().ToString('N').Substring(0, 8)).log"
    $cmd = $script:PwshCmd + @('-NoProfile', '-NonInteractive', '-File', $script:ChildRestorePath,
        '-Module', $script:ModuleManifest, '-Location', $Location, '-TargetConnectionString', (Get-PgUrl $Target),
        '-EndpointUrl', $script:S3Servers[$S3].Endpoint, '-ResultPath', $result)
    $envVars = @{ CLUTTERDR_PG_BIN = $script:WrapperBin; CLUTTERDR_BENCH_TOOL_LOG = $toolLog } + (Get-S3Environment $S3)
    $t = Invoke-Timed -Command $cmd -Environment $envVars -S3 $S3
    $r = Get-Content -LiteralPath $result -Raw | ConvertFrom-Json
    $tool = Read-ToolLog $toolLog
    Remove-Item -LiteralPath $result, $toolLog -Force -ErrorAction SilentlyContinue
    [pscustomobject]@{ Timed = $t; Result = $r; Tool = $tool }
}

# ------------------------------------------------------------------------------------------------ results
# One row per measured step and run: Scale, Run, Key, Group (backup|restore|other), Seconds, PeakMB, CpuSec,
# ServerCpuSec (PostgreSQL + the step's S3 server), S3CpuSec (the S3 server alone), OtherCpuSec, CmdletSeconds (pwsh steps), ToolPeakMB (pg_dump/pg_restore under the module), Bytes, Note.
$Rows = [Collections.Generic.List[object]]::new()
$StepInfo = [ordered]@{}   # key -> label, group, order, note
function Register-Step([string]$Key, [string]$Label, [string]$Group, [string]$Note = '') {
    if (-not $StepInfo.Contains($Key)) { $StepInfo[$Key] = [pscustomobject]@{ Label = $Label; Group = $Group; Order = $StepInfo.Count; Note = $Note } }
}
function Add-Row {
    param([int]$ScaleValue, [int]$Run, [string]$Key, $Timed, [double]$CmdletSeconds = [double]::NaN,
        [double]$ToolPeakMB = [double]::NaN, [double]$PwshPeakMB = [double]::NaN, [long]$Bytes = -1)
    $Rows.Add([pscustomobject]@{
        Scale = $ScaleValue; Run = $Run; Key = $Key; Seconds = $Timed.Seconds; PeakMB = $Timed.PeakMB; CpuSec = $Timed.CpuSec
        ServerCpuSec = $Timed.ServerCpuSec; S3CpuSec = $Timed.S3CpuSec; OtherCpuSec = $Timed.OtherCpuSec
        CmdletSeconds = $CmdletSeconds; ToolPeakMB = $ToolPeakMB; PwshPeakMB = $PwshPeakMB; Bytes = $Bytes
    })
    $extra = if (-not [double]::IsNaN($CmdletSeconds)) { (', cmdlet {0:N2} s' -f $CmdletSeconds) } else { '' }
    Write-Status ('  {0,-44} {1,7:N2} s {2,7:N1} MB  cpu {3,6:N2} s  server {4,6:N2} s  other {5,5:N2} s{6}' -f $StepInfo[$Key].Label, $Timed.Seconds, $Timed.PeakMB,
        $Timed.CpuSec, $Timed.ServerCpuSec, $Timed.OtherCpuSec, $extra)
}
function Add-SumRow([int]$ScaleValue, [int]$Run, [string]$Key, [object[]]$Parts, [long]$Bytes = -1) {
    $sum = [pscustomobject]@{
        Seconds = ($Parts | Measure-Object Seconds -Sum).Sum
        PeakMB  = ($Parts | Measure-Object PeakMB -Maximum).Maximum
        CpuSec  = ($Parts | Measure-Object CpuSec -Sum).Sum
        ServerCpuSec = ($Parts | Measure-Object ServerCpuSec -Sum).Sum
        S3CpuSec = ($Parts | Measure-Object S3CpuSec -Sum).Sum
        OtherCpuSec = ($Parts | Measure-Object OtherCpuSec -Sum).Sum
    }
    Add-Row -ScaleValue $ScaleValue -Run $Run -Key $Key -Timed $sum -Bytes $Bytes
}

Register-Step 'baseline' 'pwsh baseline (Import-Module only)' 'other' 'pwsh -NoProfile -c Import-Module: the share of RSS that is PowerShell itself'
Register-Step 'producer' 'producer limit: pg_dump -Fc -Z0 > /dev/null' 'backup' 'the floor: pg_dump alone, nothing done with its output'
Register-Step 'runbook' 'seed runbook (total)' 'backup' 'sum of the three steps below; peak = largest of them'
Register-Step 'runbook.dump' '  pg_dump -Fc -f file' 'backup'
Register-Step 'runbook.gzip' '  gzip -k file' 'backup' '-k keeps the .dump for the pg_restore step'
Register-Step 'runbook.aws' '  aws s3 cp file.gz -> RGW (awscli)' 'backup'
Register-Step 'runbook.aws.s3rver' '  aws s3 cp file.gz -> s3rver (awscli)' 'backup' 'the same upload to s3rver; not in the runbook''s total'
Register-Step 'backup' 'Backup-ClutterDatabase -> RGW (Zstd)' 'backup' 'fresh pwsh; seconds = whole process, ratio uses the cmdlet call alone'
Register-Step 'backup.enc' 'Backup-ClutterDatabase -> RGW (Zstd, -Recipient)' 'backup' 'the same, encrypted to an RSA-3072 OpenPGP key made by gpg'
Register-Step 'backup.s3rver' 'Backup-ClutterDatabase -> s3rver (Zstd)' 'backup' 'the same as the RGW row, to s3rver'
Register-Step 'backup.copies' 'Backup-ClutterDatabase -> RGW + folder (two copies)' 'backup' 'one dump, the same stored bytes to RGW and to a local folder: the cost of the second copy is this row against the RGW row'
if ($Diagnose) {
    Register-Step 'diag.catpipe' 'diag: pg_dump -Z0 | cat > /dev/null' 'backup' 'the cost of reading pg_dump through a pipe at all'
    Register-Step 'diag.zstdpipe' 'diag: pg_dump -Z0 | zstd -3 > /dev/null' 'backup' 'native compression of the same stream'
    Register-Step 'diag.awspipe' 'diag: pg_dump -Z0 | zstd -3 | aws s3 cp -' 'backup' 'native streaming pipeline to the same S3 server (RGW)'
    Register-Step 'diag.awspipe1' 'diag: pg_dump -Z0 | zstd -1 | aws s3 cp -' 'backup' 'the same at zstd level 1'
    Register-Step 'diag.zstd1.s3' 'diag: Backup -CompressionLevel 1 -> RGW' 'backup'
    Register-Step 'diag.none.s3' 'diag: Backup -Compression None -> RGW' 'backup'
    Register-Step 'diag.zstd.folder' 'diag: Backup (Zstd) -> folder' 'backup'
    Register-Step 'diag.none.folder' 'diag: Backup -Compression None -> folder' 'backup'
    Register-Step 'diag.counts' 'diag: count(*) of every table (psql)' 'backup' 'the row counts Backup-ClutterDatabase runs beside pg_dump, alone'
}
Register-Step 'pgrestore' 'pg_restore -d newdb file' 'restore' 'the runbook''s custom-format file (zlib); database created beforehand'
if ($Diagnose) { Register-Step 'diag.pgrestore.1tx' 'diag: pg_restore --single-transaction' 'restore' 'same file, --single-transaction --exit-on-error as the module runs it' }
Register-Step 'restore' 'Restore-ClutterDatabase <- RGW' 'restore' 'fresh pwsh, -CreateDatabase, includes row-count verification; ratio uses the cmdlet call alone'
Register-Step 'restore.s3rver' 'Restore-ClutterDatabase <- s3rver' 'restore' 'the same as the RGW row, from the s3rver backup'

# ------------------------------------------------------------------------------------------------ main
$savedEnv = @{}
foreach ($n in 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_REQUEST_CHECKSUM_CALCULATION', 'AWS_RESPONSE_CHECKSUM_VALIDATION', 'AWS_PAGER', 'AWS_PROFILE', 'PGPASSWORD', 'PGCONNECT_TIMEOUT',
    'CLUTTERDR_TEST_PG_HOST', 'CLUTTERDR_TEST_PG_PORT', 'CLUTTERDR_TEST_PG_USER', 'CLUTTERDR_TEST_PG_PASSWORD', 'CLUTTERDR_TEST_PG_SOCKET',
    'CLUTTERDR_TEST_PG_URL', 'CLUTTERDR_PG_BIN', 'CLUTTERDR_TEST_S3_ENDPOINT', 'CLUTTERDR_TEST_S3_ACCESS_KEY', 'CLUTTERDR_TEST_S3_SECRET_KEY',
    'CLUTTERDR_TEST_S3_REGION', 'CLUTTERDR_TEST_S3_SERVER', 'CLUTTERDR_TEST_S3RVER_ENDPOINT', 'CLUTTERDR_TEST_S3RVER_ACCESS_KEY',
    'CLUTTERDR_TEST_S3RVER_SECRET_KEY') {
    $savedEnv[$n] = [Environment]::GetEnvironmentVariable($n)
}

$null = New-Item -ItemType Directory -Path $WorkDir -Force
$StatePath = Join-Path (Join-Path $WorkDir 'services') 'state.json'
$services = $null
$databases = [Collections.Generic.List[string]]::new()
$script:Aws = $null
$script:S3Servers = [ordered]@{}   # 'RGW' [, 's3rver'] -> Endpoint, AccessKey, SecretKey
$script:BuildNote = ''
$script:DbInfo = @()
$script:NoisyWaits = 0
$script:RawBytes = @{}
$awsNote = ''
$report = $null
$started = Get-Date
try {
    # What is measured: the commit, and whether src/ differs from it (the module is built from the working tree).
    $commit = try { (& git -C $RepoRoot rev-parse --short HEAD 2>$null) } catch { '?' }
    $dirty = try { @(& git -C $RepoRoot status --porcelain -- src 2>$null).Count -gt 0 } catch { $false }
    $script:PwshCmd = Get-PwshCommand
    $script:ModuleManifest = Get-BenchModule $script:PwshCmd
    Write-Status "module: $script:ModuleManifest"

    # awscli for the runbook (the Debian package; another `aws` may come first on PATH).
    if (Test-Path -LiteralPath '/usr/bin/aws' -PathType Leaf) { $script:Aws = '/usr/bin/aws' }
    elseif ((& id -u) -eq '0' -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Status 'installing awscli (apt-get install -y awscli)'
        & apt-get install -y -q awscli 2>&1 | Out-Null
        if ($LASTEXITCODE -ne 0) { & apt-get update -q 2>&1 | Out-Null; & apt-get install -y -q awscli 2>&1 | Out-Null }
        if (Test-Path -LiteralPath '/usr/bin/aws' -PathType Leaf) { $script:Aws = '/usr/bin/aws' }
    }
    if (-not $script:Aws) { $awsNote = 'awscli (/usr/bin/aws) is not installed and could not be installed: the runbook''s upload step and the aws pipeline are unavailable.'; Write-Warning $awsNote }

    Write-Status 'starting (or reusing) the test services'
    $services = & (Join-Path $TestServicesDir 'Start-TestServices.ps1') -StatePath $StatePath 6>&1 |
        ForEach-Object { if ($_ -is [Management.Automation.InformationRecord]) { Write-Status "  $_" } else { $_ } } |
        Where-Object { $_.PSObject.Properties['Started'] } | Select-Object -Last 1
    if (-not $services) { throw 'Start-TestServices.ps1 returned no result.' }
    $script:PgHost = $env:CLUTTERDR_TEST_PG_HOST
    $script:PgPort = $env:CLUTTERDR_TEST_PG_PORT
    $script:PgUser = if ($env:CLUTTERDR_TEST_PG_USER) { $env:CLUTTERDR_TEST_PG_USER } else { 'postgres' }
    $script:PgPassword = $env:CLUTTERDR_TEST_PG_PASSWORD
    $script:PgBinReal = $env:CLUTTERDR_PG_BIN
    $script:S3Endpoint = $env:CLUTTERDR_TEST_S3_ENDPOINT
    if ($env:CLUTTERDR_TEST_S3_SERVER -and $env:CLUTTERDR_TEST_S3_SERVER -ne 'rgw') {
        throw "CLUTTERDR_TEST_S3_SERVER is '$($env:CLUTTERDR_TEST_S3_SERVER)': this benchmark expects Ceph RGW there (and s3rver in CLUTTERDR_TEST_S3RVER_*)."
    }
    $script:S3Servers['RGW'] = [pscustomobject]@{ Endpoint = $script:S3Endpoint; AccessKey = $env:CLUTTERDR_TEST_S3_ACCESS_KEY; SecretKey = $env:CLUTTERDR_TEST_S3_SECRET_KEY }
    if ($env:CLUTTERDR_TEST_S3RVER_ENDPOINT) {
        $script:S3Servers['s3rver'] = [pscustomobject]@{ Endpoint = $env:CLUTTERDR_TEST_S3RVER_ENDPOINT
            AccessKey = $env:CLUTTERDR_TEST_S3RVER_ACCESS_KEY; SecretKey = $env:CLUTTERDR_TEST_S3RVER_SECRET_KEY }
    } else { Write-Warning 'CLUTTERDR_TEST_S3RVER_ENDPOINT is not set after Start-TestServices: the s3rver rows are left out.' }
    $script:Psql = Join-Path $script:PgBinReal 'psql'
    $PgDump = Join-Path $script:PgBinReal 'pg_dump'
    $PgRestore = Join-Path $script:PgBinReal 'pg_restore'
    $script:WrapperBin = New-PgWrapperBin $script:PgBinReal

    # The servers' processes, so that their CPU is told apart from other processes' (see Wait-Quiet).
    try { $script:ClkTck = [double](& getconf CLK_TCK) } catch { $script:ClkTck = 100.0 }
    try {
        $env:PGPASSWORD = $script:PgPassword
        $ckpt = [int](Invoke-Psql -Sql "select pid from pg_stat_activity where backend_type = 'checkpointer'")
        $st = [IO.File]::ReadAllText("/proc/$ckpt/stat")
        $script:ServerGroups['Postgres'] = @([int](($st.Substring($st.LastIndexOf(')') + 2) -split ' ')[1]))
    } catch { Write-Warning "Cannot find the postmaster's process (its CPU will count as 'other'): $_" }
    foreach ($name in $script:S3Servers.Keys) {
        try { $script:ServerGroups[$name] = Get-S3ServerProcessIds $script:S3Servers[$name].Endpoint }
        catch { Write-Warning "Cannot find the processes of $name (their CPU will count as 'other'): $_" }
    }
    $script:ServicePids = @($script:ServerGroups.Values | ForEach-Object { $_ })
    Write-Status "server processes: $(($script:ServerGroups.Keys | ForEach-Object { "$_ $($script:ServerGroups[$_] -join '/')" }) -join ', ')"
    if ($script:ServerGroups.Contains('RGW') -and @($script:ServerGroups['RGW']).Count -lt 3) {
        Write-Warning "Found $(@($script:ServerGroups['RGW']).Count) of RGW's 3 processes (radosgw, ceph-osd, ceph-mon): the missing ones' CPU counts as 'other'."
    }
    $script:ChildBackupPath = Join-Path $WorkDir 'child-backup.ps1'
    $script:ChildRestorePath = Join-Path $WorkDir 'child-restore.ps1'
    Set-Content -LiteralPath $script:ChildBackupPath -Value $ChildBackup
    Set-Content -LiteralPath $script:ChildRestorePath -Value $ChildRestore

    # Credentials as in production: the AWS default chain from the environment. awscli: path-style, no v2 checksums.
    $env:PGPASSWORD = $script:PgPassword
    $env:AWS_ACCESS_KEY_ID = $env:CLUTTERDR_TEST_S3_ACCESS_KEY
    $env:AWS_SECRET_ACCESS_KEY = $env:CLUTTERDR_TEST_S3_SECRET_KEY
    $env:AWS_REGION = 'us-east-1'
    $env:AWS_DEFAULT_REGION = 'us-east-1'
    $env:AWS_REQUEST_CHECKSUM_CALCULATION = 'when_required'
    $env:AWS_RESPONSE_CHECKSUM_VALIDATION = 'when_required'
    $env:AWS_PAGER = ''
    $env:AWS_PROFILE = $null
    $awsConfig = Join-Path $WorkDir 'aws-config'
    Set-Content -LiteralPath $awsConfig -Value "[default]`nregion = us-east-1`ns3 =`n    addressing_style = path`n"
    $env:AWS_CONFIG_FILE = $awsConfig
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $WorkDir 'aws-credentials-none'

    # The bucket on each S3 server (a signed request: RGW refuses unsigned ones; 409 = it exists already).
    foreach ($name in $script:S3Servers.Keys) {
        $s = $script:S3Servers[$name]
        $resp = Invoke-SignedS3Request -Method Put -Path "/$Bucket" -Endpoint $s.Endpoint -AccessKey $s.AccessKey -SecretKey $s.SecretKey -SkipHttpErrorCheck
        if ([int]$resp.StatusCode -ge 300 -and [int]$resp.StatusCode -ne 409) { throw "Creating bucket $Bucket on $name ($($s.Endpoint)) failed: HTTP $($resp.StatusCode) $($resp.Content)" }
    }

    # An OpenPGP public key for the encrypted backup step, made by gpg in a private home.
    $script:RecipientKey = $null
    if (Get-Command gpg -CommandType Application -ErrorAction SilentlyContinue) {
        $gpgHome = Join-Path $WorkDir 'gnupg'
        $null = New-Item -ItemType Directory -Path $gpgHome -Force
        & chmod 700 $gpgHome
        $batch = Join-Path $gpgHome 'key.batch'
        Set-Content -LiteralPath $batch -Value "%no-protection`nKey-Type: RSA`nKey-Length: 3072`nSubkey-Type: RSA`nSubkey-Length: 3072`nName-Real: Bench`nName-Email: bench@example.com`nExpire-Date: 0`n%commit"
        & gpg --homedir $gpgHome --batch --quiet --gen-key $batch 2>&1 | Out-Null
        $script:RecipientKey = Join-Path $WorkDir 'bench.pub.asc'
        & gpg --homedir $gpgHome --batch --quiet --armor --output $script:RecipientKey --export bench@example.com 2>&1 | Out-Null
        & gpgconf --homedir $gpgHome --kill gpg-agent 2>&1 | Out-Null
        if (-not (Test-Path -LiteralPath $script:RecipientKey)) { Write-Warning 'gpg could not make a key: the encrypted backup step is skipped.'; $script:RecipientKey = $null }
    } else { Write-Warning 'gpg is not installed: the encrypted backup step is skipped.' }

    # The pwsh baseline and version facts.
    $pgVersion = (& $PgDump --version) -join ' '
    $awsVersion = if ($script:Aws) { ((& $script:Aws --version 2>&1) -join ' ') -replace ' Python.*', '' } else { 'n/a' }
    $zstdAvailable = [bool](Get-Command zstd -CommandType Application -ErrorAction SilentlyContinue)
    $rgwVersion = try { ((& radosgw --version 2>&1) -join ' ') -replace '^ceph version (\S+).*$', 'Ceph RGW $1' } catch { 'Ceph RGW' }
    $s3rverVersion = try {
        's3rver ' + (Get-Content -LiteralPath (Join-Path (Join-Path $TestServicesDir 's3rver') 'package.json') -Raw | ConvertFrom-Json).dependencies.'@20minutes/s3rver'
    } catch { 's3rver' }

    foreach ($sc in $Scale) {
        $db = "clutterdr_bench_s$sc"
        Write-Status "scale $sc`: loading the fixture into $db"
        Remove-Database $db
        Invoke-Psql -Sql "create database $db" | Out-Null
        $databases.Add($db)
        $load = Invoke-Timed -Command @($script:Psql, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', "scale=$sc", '-h', $script:PgHost, '-p', $script:PgPort,
            '-U', $script:PgUser, '-d', $db, '-f', $Fixture)
        Invoke-Psql -Database $db -Sql 'vacuum (freeze, analyze)' | Out-Null
        $dbBytes = [long](Invoke-Psql -Database $db -Sql "select pg_database_size('$db')")
        $tables = @(Invoke-Psql -Database $db -Sql "select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'")
        $script:DbInfo += @([pscustomobject]@{ Scale = $sc; Bytes = $dbBytes; LoadSeconds = $load.Seconds })
        Write-Status ('  {0:N0} MB loaded in {1:N1} s' -f ($dbBytes / 1MB), $load.Seconds)
        # One untimed dump so that every timed step finds the same warm cache.
        $null = Invoke-Timed -Command @($PgDump, '-Fc', '-Z0', '-h', $script:PgHost, '-p', $script:PgPort, '-U', $script:PgUser, $db)

        for ($run = 1; $run -le $Runs; $run++) {
            Write-Status "scale $sc, run $run of $Runs"
            $prefix = "$RunId/s$sc-r$run"
            $conn = @('-h', $script:PgHost, '-p', $script:PgPort, '-U', $script:PgUser)

            $t = Invoke-Timed -Command ($script:PwshCmd + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$($script:ModuleManifest)'"))
            Add-Row $sc $run 'baseline' $t

            $t = Invoke-Timed -Command (@($PgDump, '-Fc', '-Z0') + $conn + @($db))
            Add-Row $sc $run 'producer' $t

            # The seed runbook.
            $dumpFile = Join-Path $WorkDir "runbook-s$sc.dump"
            Remove-Item -LiteralPath $dumpFile, "$dumpFile.gz" -Force -ErrorAction SilentlyContinue
            $t1 = Invoke-Timed -Command (@($PgDump, '-Fc', '-f', $dumpFile) + $conn + @($db))
            Add-Row $sc $run 'runbook.dump' $t1 -Bytes (Get-Item -LiteralPath $dumpFile).Length
            $t2 = Invoke-Timed -Command @('gzip', '-k', '-f', $dumpFile)
            Add-Row $sc $run 'runbook.gzip' $t2 -Bytes (Get-Item -LiteralPath "$dumpFile.gz").Length
            if ($script:Aws) {
                $t3 = Invoke-Timed -Command @($script:Aws, 's3', 'cp', "$dumpFile.gz", "s3://$Bucket/$prefix/runbook/", '--endpoint-url', $script:S3Endpoint,
                    '--no-progress', '--only-show-errors') -S3 RGW
                Add-Row $sc $run 'runbook.aws' $t3
                Add-SumRow $sc $run 'runbook' @($t1, $t2, $t3) -Bytes (Get-Item -LiteralPath "$dumpFile.gz").Length
                if ($script:S3Servers.Contains('s3rver')) {
                    $t = Invoke-Timed -Command @($script:Aws, 's3', 'cp', "$dumpFile.gz", "s3://$Bucket/$prefix/runbook/", '--endpoint-url', $script:S3Servers['s3rver'].Endpoint,
                        '--no-progress', '--only-show-errors') -Environment (Get-S3Environment 's3rver') -S3 s3rver
                    Add-Row $sc $run 'runbook.aws.s3rver' $t
                }
            }
            Remove-Item -LiteralPath "$dumpFile.gz" -Force -ErrorAction SilentlyContinue

            # Backup-ClutterDatabase to S3.
            $b = Invoke-ChildBackup -Database $db -Destination "s3://$Bucket/$prefix/clutterdr" -S3 RGW
            Add-Row $sc $run 'backup' $b.Timed -CmdletSeconds $b.Result.CmdletSeconds -ToolPeakMB $(if ($b.Tool) { $b.Tool.PeakMB } else { [double]::NaN }) `
                -PwshPeakMB $b.Result.PwshPeakMB -Bytes $b.Result.SizeBytes
            $script:RawBytes[$sc] = [long]$b.Result.RawSizeBytes
            $backupLocation = $b.Result.Location

            # The same, encrypted (issue: at most 15% more wall time, memory flat).
            if ($script:RecipientKey) {
                $e = Invoke-ChildBackup -Database $db -Destination "s3://$Bucket/$prefix/clutterdr-enc" -S3 RGW -Recipient $script:RecipientKey
                Add-Row $sc $run 'backup.enc' $e.Timed -CmdletSeconds $e.Result.CmdletSeconds -ToolPeakMB $(if ($e.Tool) { $e.Tool.PeakMB } else { [double]::NaN }) `
                    -PwshPeakMB $e.Result.PwshPeakMB -Bytes $e.Result.SizeBytes
            }

            # Two copies from one dump: to RGW and to a folder on this machine.
            $copiesFolder = Join-Path (Join-Path $WorkDir 'copies') "$sc-$run"
            $k = Invoke-ChildBackup -Database $db -Destination "s3://$Bucket/$prefix/clutterdr-copies|$copiesFolder" -S3 RGW
            Add-Row $sc $run 'backup.copies' $k.Timed -CmdletSeconds $k.Result.CmdletSeconds -ToolPeakMB $(if ($k.Tool) { $k.Tool.PeakMB } else { [double]::NaN }) `
                -PwshPeakMB $k.Result.PwshPeakMB -Bytes $k.Result.SizeBytes
            Remove-Item -LiteralPath $copiesFolder -Recurse -Force -ErrorAction SilentlyContinue
            Remove-S3Prefix "$prefix/clutterdr-copies/"

            # The same backup to s3rver, for the servers' overheads side by side.
            $s3rverLocation = $null
            if ($script:S3Servers.Contains('s3rver')) {
                $q = Invoke-ChildBackup -Database $db -Destination "s3://$Bucket/$prefix/clutterdr" -S3 s3rver
                Add-Row $sc $run 'backup.s3rver' $q.Timed -CmdletSeconds $q.Result.CmdletSeconds -ToolPeakMB $(if ($q.Tool) { $q.Tool.PeakMB } else { [double]::NaN }) `
                    -PwshPeakMB $q.Result.PwshPeakMB -Bytes $q.Result.SizeBytes
                $s3rverLocation = $q.Result.Location
            }

            if ($Diagnose) {
                $pipe = (@($PgDump, '-Fc', '-Z0') + $conn + @($db) | ForEach-Object { ConvertTo-ShArg $_ }) -join ' '
                $t = Invoke-Timed -ShellLine "$pipe | cat"
                Add-Row $sc $run 'diag.catpipe' $t
                if ($zstdAvailable) {
                    $t = Invoke-Timed -Command @() -ShellLine "$pipe | zstd -3 -q -c"
                    Add-Row $sc $run 'diag.zstdpipe' $t
                    if ($script:Aws) {
                        $t = Invoke-Timed -Command @() -ShellLine ("$pipe | zstd -3 -q -c | $(ConvertTo-ShArg $script:Aws) s3 cp - " +
                            (ConvertTo-ShArg "s3://$Bucket/$prefix/pipe/$db.dump.zst") + " --endpoint-url $(ConvertTo-ShArg $script:S3Endpoint) --only-show-errors") -S3 RGW
                        Add-Row $sc $run 'diag.awspipe' $t
                        $t = Invoke-Timed -ShellLine ("$pipe | zstd -1 -q -c | $(ConvertTo-ShArg $script:Aws) s3 cp - " +
                            (ConvertTo-ShArg "s3://$Bucket/$prefix/pipe1/$db.dump.zst") + " --endpoint-url $(ConvertTo-ShArg $script:S3Endpoint) --only-show-errors") -S3 RGW
                        Add-Row $sc $run 'diag.awspipe1' $t
                    }
                }
                foreach ($v in @(
                        @{ Key = 'diag.zstd1.s3'; Compression = 'Zstd'; Level = 1; S3 = $true }
                        @{ Key = 'diag.none.s3'; Compression = 'None'; S3 = $true }
                        @{ Key = 'diag.zstd.folder'; Compression = 'Zstd'; S3 = $false }
                        @{ Key = 'diag.none.folder'; Compression = 'None'; S3 = $false })) {
                    $dest = if ($v.S3) { "s3://$Bucket/$prefix/$($v.Key)" } else { Join-Path (Join-Path $WorkDir 'folder') $v.Key }
                    $d = Invoke-ChildBackup -Database $db -Destination $dest -Compression $v.Compression -Level $(if ($v.ContainsKey('Level')) { $v.Level } else { 0 }) -S3 $(if ($v.S3) { 'RGW' } else { '' })
                    Add-Row $sc $run $v.Key $d.Timed -CmdletSeconds $d.Result.CmdletSeconds -ToolPeakMB $(if ($d.Tool) { $d.Tool.PeakMB } else { [double]::NaN }) `
                        -PwshPeakMB $d.Result.PwshPeakMB -Bytes $d.Result.SizeBytes
                    if ($v.S3) { Remove-S3Prefix "$prefix/$($v.Key)/" } else { Remove-Item -LiteralPath $dest -Recurse -Force -ErrorAction SilentlyContinue }
                }
                $countSql = ($tables | ForEach-Object { "select count(*) from only $_;" }) -join ' '
                $t = Invoke-Timed -Command (@($script:Psql, '-X', '-q', '-t', '-A') + $conn + @('-d', $db, '-c', $countSql))
                Add-Row $sc $run 'diag.counts' $t
            }

            # Restores.
            $target = "clutterdr_bench_s${sc}_pgr$run"
            Remove-Database $target
            Invoke-Psql -Sql "create database $target" | Out-Null
            $databases.Add($target)
            $t = Invoke-Timed -Command (@($PgRestore) + $conn + @('-d', $target, $dumpFile))
            Add-Row $sc $run 'pgrestore' $t
            Remove-Database $target

            if ($Diagnose) {
                Invoke-Psql -Sql "create database $target" | Out-Null
                $t = Invoke-Timed -Command (@($PgRestore, '--single-transaction', '--exit-on-error') + $conn + @('-d', $target, $dumpFile))
                Add-Row $sc $run 'diag.pgrestore.1tx' $t
                Remove-Database $target
            }

            $target = "clutterdr_bench_s${sc}_cdr$run"
            Remove-Database $target
            $databases.Add($target)
            $r = Invoke-ChildRestore -Location $backupLocation -Target $target -S3 RGW
            if (-not $r.Result.Verified) { Write-Warning "Restore-ClutterDatabase into $target did not verify." }
            Add-Row $sc $run 'restore' $r.Timed -CmdletSeconds $r.Result.CmdletSeconds -ToolPeakMB $(if ($r.Tool) { $r.Tool.PeakMB } else { [double]::NaN }) `
                -PwshPeakMB $r.Result.PwshPeakMB
            Remove-Database $target

            if ($s3rverLocation) {
                $r = Invoke-ChildRestore -Location $s3rverLocation -Target $target -S3 s3rver
                if (-not $r.Result.Verified) { Write-Warning "Restore-ClutterDatabase into $target (from s3rver) did not verify." }
                Add-Row $sc $run 'restore.s3rver' $r.Timed -CmdletSeconds $r.Result.CmdletSeconds -ToolPeakMB $(if ($r.Tool) { $r.Tool.PeakMB } else { [double]::NaN }) `
                    -PwshPeakMB $r.Result.PwshPeakMB
                Remove-Database $target
            }

            Remove-S3Prefix "$prefix/"
            Remove-S3Prefix "$prefix/" -Server s3rver
            Remove-Item -LiteralPath $dumpFile -Force -ErrorAction SilentlyContinue
        }
        Remove-Database $db
    }

    # -------------------------------------------------------------------------------------------- report
    $inv = [Globalization.CultureInfo]::InvariantCulture
    function Fmt([double]$v, [string]$f = 'N2') { if ([double]::IsNaN($v)) { '' } else { $v.ToString($f, $inv) } }
    function Get-Agg([int]$ScaleValue, [string]$Key) {
        $rs = @($Rows | Where-Object { $_.Scale -eq $ScaleValue -and $_.Key -eq $Key })
        if ($rs.Count -eq 0) { return $null }
        $cmd = @($rs | Where-Object { -not [double]::IsNaN($_.CmdletSeconds) } | ForEach-Object CmdletSeconds)
        $tool = @($rs | Where-Object { -not [double]::IsNaN($_.ToolPeakMB) } | ForEach-Object ToolPeakMB)
        $pw = @($rs | Where-Object { -not [double]::IsNaN($_.PwshPeakMB) } | ForEach-Object PwshPeakMB)
        [pscustomobject]@{
            Seconds = Get-Median @($rs.Seconds); CpuSec = Get-Median @($rs.CpuSec)
            ServerCpuSec = Get-Median @($rs.ServerCpuSec); S3CpuSec = Get-Median @($rs | ForEach-Object S3CpuSec); OtherCpuSec = Get-Median @($rs.OtherCpuSec)
            PeakMB = ($rs | Measure-Object PeakMB -Maximum).Maximum
            CmdletSeconds = if ($cmd.Count) { Get-Median $cmd } else { [double]::NaN }
            ToolPeakMB = if ($tool.Count) { ($tool | Measure-Object -Maximum).Maximum } else { [double]::NaN }
            PwshPeakMB = if ($pw.Count) { ($pw | Measure-Object -Maximum).Maximum } else { [double]::NaN }
            Bytes = ($rs | Measure-Object Bytes -Maximum).Maximum
            Runs = $rs.Count
        }
    }
    # The time a step is judged by: the cmdlet call alone for pwsh steps, else the process.
    function Get-JudgedSeconds($a) { if (-not [double]::IsNaN($a.CmdletSeconds)) { $a.CmdletSeconds } else { $a.Seconds } }

    $md = [Text.StringBuilder]::new()
    $L = { param($s) [void]$md.AppendLine($s) }
    & $L "# ClutterDR backup/restore benchmark, $(Get-Date -Format 'yyyy-MM-dd HH:mm')"
    & $L ''
    & $L ('Machine: {0} cores, {1:N0} GiB RAM, {2}. {3}; {4}; PowerShell {5}; awscli {6}. Commit {7}{8}. Scales {9}, {10} run(s) each{11}.' -f
        [Environment]::ProcessorCount, ([double]((Get-Content /proc/meminfo -TotalCount 1) -replace '\D', '') / 1MB),
        ((Get-Content /etc/os-release | Where-Object { $_ -like 'PRETTY_NAME=*' }) -replace 'PRETTY_NAME=|"', ''),
        $pgVersion, $(if ($script:S3Servers.Contains('s3rver')) {
                "PostgreSQL server and two S3 servers, $rgwVersion (radosgw, one memstore ceph-osd, one ceph-mon) and $s3rverVersion (node), on the same machine"
            } else { "PostgreSQL server and S3 (${rgwVersion}: radosgw, one memstore ceph-osd, one ceph-mon) on the same machine" }),
        $PSVersionTable.PSVersion, $awsVersion,
        $commit, $(if ($dirty) { ' (src/ has uncommitted changes)' } else { '' }), ($Scale -join ', '), $Runs, $(if ($Runs -gt 1) { ': median seconds, highest peak RSS' } else { '' }))
    if ($script:BuildNote) { & $L ''; & $L "Build: $($script:BuildNote)." }
    if ($awsNote) { & $L ''; & $L "**$awsNote**" }
    & $L ''
    & $L 'Seconds and peak RSS come from GNU time (`/usr/bin/time -f ''%e %M %U %S''`) around each command; peak RSS is that of the largest single process of the command''s tree (for pwsh steps: pwsh). CPU s = user+sys of the command''s whole tree (pg_dump included); "server CPU s" = the CPU of the PostgreSQL server and of the S3 server the step talks to (RGW: radosgw + ceph-osd + ceph-mon; s3rver: node) during the step; "other CPU s" = CPU used meanwhile by anything else on the machine (noise: the script waits for a quiet machine before each step, but cannot stop others starting; the S3 server the step does not use is counted in neither). For pwsh steps, "cmdlet s" is the cmdlet call alone (no pwsh start-up, no Import-Module), "pwsh MB" is pwsh''s own peak (VmHWM) and "tool MB" the peak of the pg_dump / pg_restore the module started. Ratios: backup steps vs the producer limit, restore steps vs pg_restore; pwsh steps use "cmdlet s". Rows marked RGW go to Ceph RGW (the real S3 server), rows marked s3rver to s3rver, in the same run; the RGW-vs-s3rver table below each scale compares them.'
    & $L ''

    $targets = [Collections.Generic.List[object]]::new()
    foreach ($sc in $Scale) {
        $dbi = @($script:DbInfo | Where-Object Scale -eq $sc)[0]
        $raw = if ($script:RawBytes.ContainsKey($sc)) { $script:RawBytes[$sc] } else { 0 }
        & $L "## Scale $sc ($('{0:N0}' -f ($dbi.Bytes / 1MB)) MB database, $('{0:N0}' -f ($raw / 1MB)) MB raw dump)"
        & $L ''
        & $L '| Step | Seconds | Cmdlet s | Ratio | Peak RSS MB | pwsh MB | tool MB | CPU s | Server CPU s | Other CPU s | Stored MB |'
        & $L '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
        $producer = Get-Agg $sc 'producer'
        $pgr = Get-Agg $sc 'pgrestore'
        foreach ($key in $StepInfo.Keys) {
            $a = Get-Agg $sc $key
            if (-not $a) { continue }
            $info = $StepInfo[$key]
            $ref = switch ($info.Group) { 'backup' { $producer } 'restore' { $pgr } default { $null } }
            $ratio = if ($ref -and $key -notin 'producer', 'pgrestore') { (Get-JudgedSeconds $a) / $ref.Seconds } elseif ($ref) { 1.0 } else { [double]::NaN }
            $ratioText = if ([double]::IsNaN($ratio)) { '' } else { (Fmt $ratio) + 'x' }
            if ($key -like 'runbook.*') { $ratioText = '' }
            $stored = if ($a.Bytes -gt 0) { Fmt ($a.Bytes / 1MB) 'N1' } else { '' }
            $label = if ($key -like 'runbook.*') { '↳ ' + $info.Label.Trim() } else { $info.Label }
            $label = $label -replace '\|', '\|'
            & $L ('| {0} | {1} | {2} | {3} | {4} | {5} | {6} | {7} | {8} | {9} | {10} |' -f $label,
                (Fmt $a.Seconds), (Fmt $a.CmdletSeconds), $ratioText, (Fmt $a.PeakMB 'N1'), (Fmt $a.PwshPeakMB 'N1'), (Fmt $a.ToolPeakMB 'N1'),
                (Fmt $a.CpuSec), (Fmt $a.ServerCpuSec), (Fmt $a.OtherCpuSec), $stored)
        }
        & $L ''
        # The two S3 servers side by side: the same step against RGW and against s3rver.
        $pairs = @(
            @{ Label = 'aws s3 cp file.gz (awscli)'; Rgw = 'runbook.aws'; S3rver = 'runbook.aws.s3rver' }
            @{ Label = 'Backup-ClutterDatabase (Zstd)'; Rgw = 'backup'; S3rver = 'backup.s3rver' }
            @{ Label = 'Restore-ClutterDatabase'; Rgw = 'restore'; S3rver = 'restore.s3rver' }
        ) | Where-Object { (Get-Agg $sc $_.Rgw) -and (Get-Agg $sc $_.S3rver) }
        if ($pairs) {
            & $L "### RGW vs s3rver (scale $sc)"
            & $L ''
            & $L '| Step | RGW s | s3rver s | RGW/s3rver | RGW vs baseline | s3rver vs baseline | RGW peak RSS MB | s3rver peak RSS MB | RGW CPU s | s3rver CPU s |'
            & $L '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
            foreach ($pair in $pairs) {
                $ar = Get-Agg $sc $pair.Rgw; $as = Get-Agg $sc $pair.S3rver
                $ref = switch ($StepInfo[$pair.Rgw].Group) { 'backup' { $producer } 'restore' { $pgr } default { $null } }
                $vs = { param($a) if ($ref -and $pair.Rgw -notlike 'runbook.*') { (Fmt ((Get-JudgedSeconds $a) / $ref.Seconds)) + 'x' } else { '' } }
                & $L ('| {0} | {1} | {2} | {3}x | {4} | {5} | {6} | {7} | {8} | {9} |' -f $pair.Label, (Fmt (Get-JudgedSeconds $ar)), (Fmt (Get-JudgedSeconds $as)),
                    (Fmt ((Get-JudgedSeconds $ar) / (Get-JudgedSeconds $as))), (& $vs $ar), (& $vs $as), (Fmt $ar.PeakMB 'N1'), (Fmt $as.PeakMB 'N1'),
                    (Fmt $ar.S3CpuSec), (Fmt $as.S3CpuSec))
            }
            & $L ''
            & $L 'Seconds: "cmdlet s" for the pwsh steps, the process for awscli. "RGW CPU s" / "s3rver CPU s": the S3 server''s own CPU during the step (RGW: radosgw + ceph-osd + ceph-mon; s3rver: node), without PostgreSQL. Baseline: the producer limit for backups, pg_restore for restores.'
            & $L ''
        }
        $bk = Get-Agg $sc 'backup'; $rb = Get-Agg $sc 'runbook'; $rs = Get-Agg $sc 'restore'; $base = Get-Agg $sc 'baseline'
        if ($bk -and $producer) {
            $v = (Get-JudgedSeconds $bk) / $producer.Seconds
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Backup (RGW) ≤ 1.3x producer limit'; Value = ('{0}x ({1} s vs {2} s; whole process {3}x)' -f (Fmt $v), (Fmt (Get-JudgedSeconds $bk)), (Fmt $producer.Seconds), (Fmt ($bk.Seconds / $producer.Seconds))); Met = $v -le 1.3 })
        }
        if ($bk -and $rb) {
            $v = $rb.Seconds / (Get-JudgedSeconds $bk)
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Backup (RGW) ≥ 4x faster than the runbook'; Value = ('{0}x faster ({1} s vs {2} s; whole process {3}x)' -f (Fmt $v), (Fmt (Get-JudgedSeconds $bk)), (Fmt $rb.Seconds), (Fmt ($rb.Seconds / $bk.Seconds))); Met = $v -ge 4 })
        } elseif ($bk) {
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Backup ≥ 4x faster than the runbook'; Value = 'unavailable (no awscli)'; Met = $null })
        }
        $enc = Get-Agg $sc 'backup.enc'
        if ($bk -and $enc) {
            $v = (Get-JudgedSeconds $enc) / (Get-JudgedSeconds $bk)
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Encrypted backup ≤ 1.15x unencrypted'; Value = ('{0}x ({1} s vs {2} s; peak RSS {3} MB vs {4} MB)' -f (Fmt $v), (Fmt (Get-JudgedSeconds $enc)), (Fmt (Get-JudgedSeconds $bk)), (Fmt $enc.PeakMB 'N1'), (Fmt $bk.PeakMB 'N1')); Met = $v -le 1.15 })
        }
        if ($rs -and $pgr) {
            $v = (Get-JudgedSeconds $rs) / $pgr.Seconds
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Restore (RGW) ≤ 1.15x pg_restore from file'; Value = ('{0}x ({1} s vs {2} s; whole process {3}x)' -f (Fmt $v), (Fmt (Get-JudgedSeconds $rs)), (Fmt $pgr.Seconds), (Fmt ($rs.Seconds / $pgr.Seconds))); Met = $v -le 1.15 })
        }
        $bq = Get-Agg $sc 'backup.s3rver'; $rq = Get-Agg $sc 'restore.s3rver'
        if ($bq -and $producer) {
            $v = (Get-JudgedSeconds $bq) / $producer.Seconds
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Backup (s3rver) ≤ 1.3x producer limit'; Value = ('{0}x ({1} s vs {2} s; whole process {3}x)' -f (Fmt $v), (Fmt (Get-JudgedSeconds $bq)), (Fmt $producer.Seconds), (Fmt ($bq.Seconds / $producer.Seconds))); Met = $v -le 1.3 })
        }
        if ($rq -and $pgr) {
            $v = (Get-JudgedSeconds $rq) / $pgr.Seconds
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Restore (s3rver) ≤ 1.15x pg_restore from file'; Value = ('{0}x ({1} s vs {2} s; whole process {3}x)' -f (Fmt $v), (Fmt (Get-JudgedSeconds $rq)), (Fmt $pgr.Seconds), (Fmt ($rq.Seconds / $pgr.Seconds))); Met = $v -le 1.15 })
        }
    }
    if ($Scale.Count -ge 2) {
        $mem = foreach ($sc in $Scale) { $a = Get-Agg $sc 'backup'; $base = Get-Agg $sc 'baseline'; [pscustomobject]@{ Scale = $sc; Peak = $a.PeakMB; Share = $a.PeakMB - $base.PeakMB } }
        $lo = ($mem | Measure-Object Peak -Minimum).Minimum; $hi = ($mem | Measure-Object Peak -Maximum).Maximum
        $slo = ($mem | Measure-Object Share -Minimum).Minimum; $shi = ($mem | Measure-Object Share -Maximum).Maximum
        $detail = ($mem | ForEach-Object { 'scale {0}: {1} MB ({2} MB above the pwsh baseline)' -f $_.Scale, (Fmt $_.Peak 'N1'), (Fmt $_.Share 'N1') }) -join '; '
        $targets.Add([pscustomobject]@{ Scale = ($Scale -join '/'); Target = 'Backup peak RSS the same (±20%) across scales'
            Value = ('{0}x largest/smallest ({1}); above baseline {2}x' -f (Fmt ($hi / $lo)), $detail, $(if ($slo -gt 0) { Fmt ($shi / $slo) } else { 'n/a' })); Met = ($hi / $lo) -le 1.2 })
    } else {
        $targets.Add([pscustomobject]@{ Scale = ($Scale -join '/'); Target = 'Backup peak RSS the same (±20%) across scales'; Value = 'needs two scales (-Scale 1,10)'; Met = $null })
    }
    & $L '## Targets'
    & $L ''
    & $L '| Scale | Target | Measured | Met |'
    & $L '|---|---|---|---|'
    foreach ($t in $targets) { & $L ('| {0} | {1} | {2} | {3} |' -f $t.Scale, $t.Target, $t.Value, $(if ($null -eq $t.Met) { 'n/a' } elseif ($t.Met) { 'yes' } else { '**no**' })) }
    & $L ''
    $noisy = @($Rows | Where-Object { $_.OtherCpuSec -gt [math]::Max(0.5, 0.1 * $_.Seconds) })
    if ($noisy.Count -gt 0 -or $script:NoisyWaits -gt 0) {
        & $L ('**Noise:** {0} measured step(s) ran while other processes used noticeable CPU ({1}). Compare those rows with care, or rerun on a quiet machine.' -f
            $noisy.Count, (($noisy | ForEach-Object { '{0} s{1} r{2}: {3:N1} s' -f $StepInfo[$_.Key].Label.Trim(), $_.Scale, $_.Run, $_.OtherCpuSec }) -join '; '))
        & $L ''
    }
    & $L '## Steps'
    & $L ''
    foreach ($key in $StepInfo.Keys) { if ($StepInfo[$key].Note) { & $L ('- {0}: {1}' -f $StepInfo[$key].Label.Trim(), $StepInfo[$key].Note) } }
    & $L ('- Every pwsh step runs `{0} -NoProfile -NonInteractive` with $ProgressPreference = SilentlyContinue; the module is a private copy of the build.' -f (($script:PwshCmd | ForEach-Object { Split-Path -Leaf $_ }) -join ' '))
    & $L '- Before the timed steps the fixture is VACUUM (FREEZE, ANALYZE)d and dumped once untimed (warm cache).'
    & $L ('- Total bench time {0:N0} s.' -f ((Get-Date) - $started).TotalSeconds)
    $report = $md.ToString()

    $null = New-Item -ItemType Directory -Path $ResultsDir -Force
    $outFile = Join-Path $ResultsDir ("backup-$(Get-Date -Format 'yyyy-MM-dd').md")
    if (Test-Path -LiteralPath $outFile) { $outFile = Join-Path $ResultsDir ("backup-$(Get-Date -Format 'yyyy-MM-dd-HHmm').md") }
    [IO.File]::WriteAllText($outFile, $report)
    # The raw measurements beside it, one object per step and run.
    $Rows | Select-Object Scale, Run, Key, @{ n = 'Step'; e = { $StepInfo[$_.Key].Label.Trim() } }, Seconds, CmdletSeconds, PeakMB, PwshPeakMB, ToolPeakMB,
        CpuSec, ServerCpuSec, S3CpuSec, OtherCpuSec, Bytes | ConvertTo-Json -Depth 3 |
        ForEach-Object { [IO.File]::WriteAllText([IO.Path]::ChangeExtension($outFile, '.json'), $_) }
    Write-Status "report written to $outFile"
    $report
}
catch {
    Write-Status "failed: $_`n$($_.ScriptStackTrace)"
    throw
}
finally {
    try {
        if ($env:CLUTTERDR_TEST_PG_PORT -and $script:Psql) {
            foreach ($d in $databases | Select-Object -Unique) { try { Remove-Database $d } catch { Write-Warning "could not drop $d`: $_" } }
        }
        if ($script:Aws) { foreach ($name in @($script:S3Servers.Keys)) { Remove-S3Prefix "$RunId/" -Server $name } }
    } catch { Write-Warning "cleanup: $_" }
    if ($services -and @($services.Started).Count -gt 0) {
        Write-Status "stopping the services this run started ($($services.Started -join ', '))"
        try { & (Join-Path $TestServicesDir 'Stop-TestServices.ps1') -StatePath $StatePath -Only $services.Started 6>&1 | ForEach-Object { Write-Status "  $_" } }
        catch { Write-Warning "Stop-TestServices failed: $_" }
    }
    foreach ($k in $savedEnv.Keys) { [Environment]::SetEnvironmentVariable($k, $savedEnv[$k]) }
    if (-not $KeepWork) { Remove-Item -LiteralPath $WorkDir -Recurse -Force -ErrorAction SilentlyContinue }
    else { Write-Status "scratch folder kept: $WorkDir" }
}
